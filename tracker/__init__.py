"""tracker: a durable, revision-aware store of casualty claims and the reports built on it.

`from tracker import Store` is the Python API (tracker.api, docs/api.md); it is imported when
first asked for, so that `import tracker` (and `tracker --help`) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Store", "__version__"]

if TYPE_CHECKING:
    from tracker.api import Store


def __getattr__(name: str) -> Any:
    if name == "Store":
        from tracker.api import Store

        return Store
    raise AttributeError(f"module 'tracker' has no attribute {name!r}")
