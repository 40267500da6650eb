"""Who is calling: Flask-Caching's ``@cached``/``@memoize`` wrappers, or anyone else.

The decorators call the backend's ``get`` and, on a miss, compute and call
``set``. With ``stampede={"decorators": True}`` a miss *from one of those
wrappers* claims the key (the caller will fill it) or waits for the caller
that already claimed it; any other ``get`` of the same key is a plain read
that never waits. Which wrapper is calling is read from the call stack: the
wrapper is Flask-Caching's ``decorated_function``, which calls our ``get``
through its ``Cache.get`` proxy.

``@memoize`` first reads the function's version key (``Cache._memoize_version``,
through ``Cache.get_many``); in the same mode a missing one is created once,
create-only, so that concurrent first callers agree on the cache key.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any, Final

import flask_caching

_PACKAGE: Final = os.path.dirname(flask_caching.__file__)
_WRAPPER: Final = "decorated_function"
_VERSIONING: Final = "_memoize_version"


def called_by_decorator(depth: int = 2) -> bool:
    """Whether the backend method ``depth`` frames up was called from a caching decorator.

    ``depth`` 2: the caller of the backend method that calls this function.
    Looks at most three frames further, for the ``Cache`` proxy in between.
    """
    return _flask_caching_frame(_WRAPPER, depth + 1) is not None


def memoize_versioning(depth: int = 2) -> tuple[Callable[[], str], Any] | None:
    """If ``@memoize``'s version lookup made the call ``depth`` frames up: how it makes a
    version and the version keys' timeout, ``(make_version, timeout)``; else ``None``.

    Flask-Caching's ``Cache._memoize_version`` reads a memoized function's
    version keys with ``get_many`` (through its ``Cache`` proxy) and writes any
    missing one with a version of its own making.
    """
    frame = _flask_caching_frame(_VERSIONING, depth + 1)
    if frame is None:
        return None
    local = frame.f_locals
    return local["self"]._memoize_make_version_hash, local.get("timeout")


def _flask_caching_frame(name: str, depth: int) -> FrameType | None:
    """The frame of Flask-Caching's function ``name`` among the callers ``depth`` frames up
    and the Flask-Caching frames right above it (at most three)."""
    frame: FrameType | None = sys._getframe(depth)
    for _ in range(4):
        if frame is None:
            return None
        code = frame.f_code
        if not code.co_filename.startswith(_PACKAGE):
            return None  # someone else's code: a plain call
        if code.co_name == name:
            return frame
        frame = frame.f_back
    return None
