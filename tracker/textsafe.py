"""Text from claims and payloads is untrusted: show it without letting it drive the terminal."""
from __future__ import annotations

import re

# C0 and C1 control characters (ESC among them) and DEL: they could recolour, move the cursor
# or rewrite earlier lines of a terminal. Tabs and newlines are escaped too, to keep one line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: object, *, limit: int | None = None) -> str:
    """The text with control characters shown as escapes (\\x1b), optionally cut to `limit`."""
    value = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
    if limit is not None and len(value) > limit:
        value = value[: max(limit - 1, 0)] + "…"
    return value
