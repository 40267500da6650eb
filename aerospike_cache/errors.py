"""The package's exception hierarchy.

Every error the store raises is a :class:`CacheError`; errors that come from
the ``aerospike`` client are chained (``raise ... from exc``) so the original
code and node stay visible in tracebacks.
"""

from __future__ import annotations

import pickle


class CacheError(Exception):
    """Base class of every error raised by aerospike-cache."""


class ConfigurationError(CacheError, ValueError, RuntimeError):
    """The cache is configured wrongly; the message says what to change.

    Also a ``RuntimeError``: ``aerospike-flask-cache`` raised ``RuntimeError``
    for configuration errors, and code written against it catches that.
    """


class NsupError(ConfigurationError):
    """The namespace refuses writes that carry a TTL (Aerospike error 22).

    Raised when the namespace's ``nsup-period`` is 0 and
    ``allow-ttl-without-nsup`` is false, before the first such write is sent
    when possible, and on a 22 answered at write time.
    """


class InvalidKeyError(CacheError, ValueError):
    """A key the store cannot send: not a ``str``, or not encodable as UTF-8.

    Raised whatever ``fail_open`` says: it is a bug in the caller, not an outage.
    """


class CacheUnavailable(CacheError):
    """The cluster could not be reached in time (down, timed out, circuit open)."""


class SerializationError(CacheError, TypeError):
    """A value could not be serialized; nothing was written."""


class PickleSerializationError(SerializationError, pickle.PickleError):
    """The pickle serializer could not pickle a value; nothing was written.

    Also a :class:`pickle.PickleError`, as Django's cache contract requires of
    ``set``/``add`` with an unpicklable value (as its own backends raise).
    """


class CacheOperationError(CacheError):
    """The cluster answered an operation with an error.

    ``code`` is Aerospike's result code (for example 13, record too big).
    """

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class WrongTypeError(CacheError, TypeError):
    """A collection operation met a key that holds something else (Redis's ``WRONGTYPE``).

    A hash, set or sorted-set operation on a key holding a plain cached value
    (or a hash operation on a hash field whose value is not a number, for an
    increment). Nothing was changed. Raised whatever ``fail_open`` says: it is
    a bug in the caller, not an outage.
    """


class NamespaceFullError(CacheOperationError):
    """The namespace is full: the cluster refused a write with code 8 (stop-writes).

    Not an outage: reads and deletes go on, and writes are accepted again
    once eviction or a truncate frees room. The message names the
    namespace's data use and the settings to change (``evict-used-pct``
    below ``stop-writes-used-pct`` in its ``storage-engine`` block, entries
    with a timeout, ``data-size``).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, 8)
