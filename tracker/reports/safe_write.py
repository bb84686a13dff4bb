"""Every file the tool writes, and its standard output: whole or not at all, never through a link.

A file (a chart, the page and its CSVs, a cached report) is written to a new temporary file in
its target's folder, created with O_CREAT|O_EXCL|O_NOFOLLOW under a name no other writer uses
(`.NAME.PID.TOKEN.tmp`), so a link planted in the folder is never followed and concurrent writers
of one file never share a temp; then flushed, fsynced, renamed over the target (atomic on one
filesystem) and the folder fsynced. A target that is a symbolic link, or anything but a regular
file, is refused (StoreError, exit 6): the link is neither written through nor replaced. Any
failure (a full disk, a folder that cannot be written) removes the temp and is StoreError. A temp
left by a killed writer (its process gone) is removed by the next write of the same file.

Standard output that cannot be written (a full disk, /dev/full) is OutputError, exit 6, one line
naming what the command stored before it; a reader that went away (a closed pipe) is not an error.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from tracker.errors import StoreError

# O_EXCL with O_CREAT never follows a link at the name (it fails instead); O_NOFOLLOW says so twice.
TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_MODE = 0o666  # less the umask, as any new file
SCRATCH_MODE = 0o700
_TEMP_TRIES = 100

Content = bytes | str | Callable[[BinaryIO], None]


class OutputError(StoreError):
    """Standard output could not be written (exit 6)."""


def _token() -> str:
    import secrets  # here, not at import: the CLI imports this module for every command

    return secrets.token_hex(6)


def temp_path(target: Path, token: str) -> Path:
    """The temporary name of a write of `target`: hidden, beside it, owned by this process."""
    return target.with_name(f".{target.name}.{os.getpid()}.{token}.tmp")


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _check_target(target: Path) -> None:
    """StoreError unless `target` is missing or a regular file: a link is never written through
    nor replaced, a device or folder never replaced."""
    try:
        st = target.lstat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(f"cannot write {target}: {_why(exc)}") from None
    if stat.S_ISLNK(st.st_mode):
        raise StoreError(f"{target} is a symbolic link: refusing to write through it or replace it (remove it)")
    if stat.S_ISDIR(st.st_mode):
        raise StoreError(f"cannot write {target}: it is a folder")
    if not stat.S_ISREG(st.st_mode):
        raise StoreError(f"cannot write {target}: it exists and is not a regular file")


def ensure_folder(folder: Path, option: str | None = None) -> Path:
    """`folder`, created with its parents if missing; StoreError (exit 6) if it cannot be."""
    name = f"{option} {folder}" if option else str(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise StoreError(f"{name}: exists and is not a folder") from None
    except OSError as exc:
        raise StoreError(f"{name}: cannot create it: {_why(exc)}") from None
    if not folder.is_dir():
        raise StoreError(f"{name}: exists and is not a folder")
    return folder


def _sweep(folder: Path, stem: str) -> None:
    """Remove temps named after `stem` whose writer is gone (killed mid-write): never a live
    writer's, never through a link (unlink removes the link itself)."""
    pattern = re.compile(rf"\.{re.escape(stem)}\.(\d+)\.[0-9a-z]+\.tmp")
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        match = pattern.fullmatch(name)
        if match is None or _alive(int(match[1])):
            continue
        path = folder / name
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                import shutil

                shutil.rmtree(path)
            else:
                path.unlink()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process: alive
        return True
    return True


def _open_temp(target: Path) -> tuple[Path, int]:
    for _ in range(_TEMP_TRIES):
        tmp = temp_path(target, _token())
        try:
            return tmp, os.open(tmp, TEMP_FLAGS, FILE_MODE)
        except FileExistsError:  # another writer's temp, or something planted: take another name
            continue
    raise StoreError(f"cannot write {target}: no free temporary name beside it")


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable where the filesystem allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems cannot sync a folder: the rename itself is still atomic
    finally:
        os.close(fd)


def write_file(target: Path | str, content: Content, *, durable: bool = True) -> Path:
    """Write `content` (bytes, text as UTF-8, or a function writing to a binary file) to `target`
    whole or not at all; the folder must exist. StoreError (exit 6) on any failure, the temp
    removed and a previous file left as it was. `durable=False` skips the fsyncs (a cache: a
    file lost in a power cut only costs time)."""
    target = Path(target)
    _check_target(target)
    _sweep(target.parent, target.name)
    try:
        tmp, fd = _open_temp(target)
    except OSError as exc:
        raise StoreError(f"cannot write {target}: {_why(exc)}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            if callable(content):
                content(handle)
            else:
                handle.write(content.encode("utf-8") if isinstance(content, str) else content)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        _check_target(target)  # a link planted meanwhile is refused too (a later one is replaced, never followed)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise StoreError(f"cannot write {target}: {_why(exc)}") from None
        raise
    if durable:
        _fsync_folder(target.parent)
    return target


@contextlib.contextmanager
def scratch_folder(folder: Path, purpose: str) -> Iterator[Path]:
    """A new private folder inside `folder` to build several files in before publishing them
    (`publish`); removed afterwards, whatever happened. One left by a killed build is removed by
    the next."""
    _sweep(folder, purpose)
    for _ in range(_TEMP_TRIES):
        path = folder / f".{purpose}.{os.getpid()}.{_token()}.tmp"
        try:
            path.mkdir(mode=SCRATCH_MODE)
            break
        except FileExistsError:
            continue
        except OSError as exc:
            raise StoreError(f"cannot write into {folder}: {_why(exc)}") from None
    else:
        raise StoreError(f"cannot write into {folder}: no free temporary name")
    try:
        yield path
    except StoreError as exc:  # named by where the file was to be published, not the scratch
        raise StoreError(str(exc).replace(str(path), str(folder))) from None
    finally:
        import shutil

        shutil.rmtree(path, ignore_errors=True)


def publish(files: list[Path], folder: Path) -> list[Path]:
    """Move files (written and fsynced in a scratch folder on the same filesystem) into `folder`
    under their names; every target is checked first, so a refused one publishes nothing."""
    targets = [folder / f.name for f in files]
    for target in targets:
        _check_target(target)
    for source, target in zip(files, targets, strict=True):
        try:
            os.replace(source, target)
        except OSError as exc:
            raise StoreError(f"cannot write {target}: {_why(exc)}") from None
    _fsync_folder(folder)
    return targets


# --- standard output ----------------------------------------------------------------------------

_stored: list[str] = []


def note_stored(what: str) -> None:
    """Remember that the command stored `what` (e.g. a run), for an output error to name."""
    _stored.append(what)


def output_error(exc: OSError) -> OutputError:
    """The one-line error of standard output that cannot be written, naming what was stored."""
    message = f"cannot write the output: {_why(exc)}"
    if _stored:
        shown = _stored if len(_stored) <= 3 else [*_stored[:2], f"… {len(_stored) - 3} more …", _stored[-1]]
        message += f"; stored before it: {', '.join(shown)}"
    return OutputError(message)


class _GuardedBuffer(io.BufferedWriter):
    """Standard output's buffer: a failed write is OutputError and the rest of the output is
    discarded (sent to /dev/null, so flushing it at exit fails no second time); a closed pipe
    (`tracker records | head`) only discards the rest: the reader has what it wanted."""

    def write(self, data: bytes) -> int:  # type: ignore[override]
        try:
            return super().write(data)
        except OSError as exc:
            self._discard_rest(exc)
            return super().write(data)

    def flush(self) -> None:
        try:
            super().flush()
        except OSError as exc:
            self._discard_rest(exc)
            super().flush()

    def _discard_rest(self, exc: OSError) -> None:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, self.raw.fileno())  # type: ignore[attr-defined]
        os.close(null)
        if exc.errno != errno.EPIPE:
            raise output_error(exc) from None


def guard_stdout() -> None:
    """Route the process's own standard output through `_GuardedBuffer` (not a captured one)."""
    stream = sys.__stdout__
    if stream is None or sys.stdout is not stream:
        return
    try:
        fd = stream.fileno()
        stream.flush()
    except (OSError, ValueError, AttributeError):
        return
    raw = io.FileIO(fd, "w", closefd=False)
    sys.stdout = io.TextIOWrapper(
        _GuardedBuffer(raw),
        encoding=stream.encoding,
        errors=stream.errors,
        line_buffering=stream.line_buffering,
    )
