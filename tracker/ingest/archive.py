"""A payload's identity and its archived form: the SHA-256 of its bytes, a run's digest of all its
parts, and the compressed bytes the raw archive keeps. Plain Python (no SQLAlchemy): the ingest
and the sqlite3-only repeat (tracker.ingest.repeat) both use it, so both archive alike.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable

from tracker.ingest.parsed import Fetched

# The SHA-256 of payloads hashed lately, by identity: the runs of one file's sources share its
# bytes, and hashing 60 MB once per source would cost more than storing its rows.
_SHAS: dict[int, tuple[bytes, str]] = {}


def sha256(content: bytes) -> str:
    """The hex SHA-256 of a payload's bytes (a large one's remembered for the next run of its file)."""
    known = _SHAS.get(id(content))
    if known is not None and known[0] is content:
        return known[1]
    sha = hashlib.sha256(content).hexdigest()
    if len(content) > 1 << 20:
        if len(_SHAS) >= 4:
            _SHAS.clear()
        _SHAS[id(content)] = (content, sha)
    return sha


def digest(fetched: Iterable[Fetched]) -> str:
    """A run's payload digest: its parts' SHA-256 in role order. The same digest as the feed's
    last successful run means the same bytes: the run is an unchanged repeat."""
    h = hashlib.sha256()
    for item in sorted(fetched, key=lambda f: f.role):
        h.update(item.role.encode() + b"\0" + bytes.fromhex(sha256(item.content)))
    return h.hexdigest()


def compress(content: bytes) -> bytes:
    """The archived form of a payload: zlib level 6, or level 1 for one over 4 MiB (a bulk file of
    tens of MB compresses four times faster, to a fifth larger)."""
    return zlib.compress(content, 1 if len(content) > 4 << 20 else 6)
