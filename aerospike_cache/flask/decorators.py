"""Who is calling: Flask-Caching's ``@cached``/``@memoize`` wrappers, or anyone else.

The decorators call the backend's ``get`` and, on a miss, compute and call
``set``. With ``stampede={"decorators": True}`` a miss *from one of those
wrappers* claims the key (the caller will fill it) or waits for the caller
that already claimed it; any other ``get`` of the same key is a plain read
that never waits. Which wrapper is calling is read from the call stack: the
wrapper is Flask-Caching's ``decorated_function``, which calls our ``get``
through its ``Cache.get`` proxy.
"""

from __future__ import annotations

import os
import sys
from typing import Final

import flask_caching

_PACKAGE: Final = os.path.dirname(flask_caching.__file__)
_WRAPPER: Final = "decorated_function"


def called_by_decorator(depth: int = 2) -> bool:
    """Whether the backend method ``depth`` frames up was called from a caching decorator.

    ``depth`` 2: the caller of the backend method that calls this function.
    Looks at most three frames further, for the ``Cache`` proxy in between.
    """
    frame = sys._getframe(depth)
    for _ in range(4):
        if frame is None:
            return False
        code = frame.f_code
        if code.co_name == _WRAPPER and code.co_filename.startswith(_PACKAGE):
            return True
        if not code.co_filename.startswith(_PACKAGE):
            return False  # someone else's code: a plain get
        frame = frame.f_back  # type: ignore[assignment]
    return False
