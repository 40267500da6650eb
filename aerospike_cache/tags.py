"""Cache tags: validation, their place on the record, and the server-side filters.

An entry's tags are a list bin (:data:`TAG_BIN`) on its record, written with
the value and replaced by the entry's next write; ``incr`` and ``touch``
keep them. :func:`any_of` is the filter expression a query runs to find the
entries carrying any of a set of tags, so the server does the matching.

A tag is not a key. The frontends namespace tags the way their framework
namespaces keys, but without versions (:func:`scoped`): Django by
``KEY_PREFIX`` (``"<prefix>:<tag>"``), Flask-Caching by ``key_prefix``
(``"<prefix><tag>"``), and both by the cache's namespace and set, because a
query only reads the records of one set. ``invalidate_tags("product:7")``
therefore removes every version of every entry tagged ``product:7`` in this
cache, and nothing of another cache that shares the set with another prefix.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

TAG_BIN: Final = "t"
MAX_TAGS: Final = 32
MAX_TAG_BYTES: Final = 128


def validate(tags: Iterable[str] | None) -> list[str]:
    """The tags, checked and de-duplicated in order; ``[]`` for none.

    Raises ``TypeError`` or ``ValueError`` saying what is wrong, so that a
    bad tag fails the call before anything is written.
    """
    if tags is None:
        return []
    if isinstance(tags, (str, bytes, bytearray)):
        raise TypeError(
            f"tags must be a list of strings, got the single {type(tags).__name__} {tags!r}; "
            f"write tags=[{tags!r}]"
        )
    try:
        items = list(dict.fromkeys(tags))
    except TypeError:
        raise TypeError(f"tags must be a list of strings, got {tags!r}") from None
    for tag in items:
        _check(tag)
    if len(items) > MAX_TAGS:
        raise ValueError(f"an entry carries at most {MAX_TAGS} tags, got {len(items)}")
    return items


def _check(tag: Any) -> None:
    if not isinstance(tag, str):
        raise TypeError(f"a tag must be a str, got {type(tag).__name__} {tag!r}")
    if not tag:
        raise ValueError("a tag must be a non-empty string")
    try:
        size = len(tag.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError(f"tag {tag!r} is not valid Unicode (lone surrogate)") from None
    if size > MAX_TAG_BYTES:
        raise ValueError(
            f"a tag is at most {MAX_TAG_BYTES} bytes of UTF-8, got {size} bytes: {tag[:40]!r}..."
        )
    if "\x00" in tag:
        raise ValueError(f"a tag cannot hold a NUL character: {tag!r}")


def scoped(prefix: str, tags: Iterable[str]) -> list[str]:
    """The stored form of ``tags`` in a cache whose keys start with ``prefix``."""
    return [prefix + tag for tag in tags] if prefix else list(tags)


def stored(tags: Iterable[str] | None, prefix: str) -> list[str]:
    """``tags`` checked (:func:`validate`) and in their stored form (:func:`scoped`)."""
    return scoped(prefix, validate(tags)) if tags else []


def any_of(stored_tags: list[str]) -> Any:
    """Filter expression: the record's tag list holds at least one of ``stored_tags``."""
    import aerospike
    from aerospike_helpers import expressions as exp

    bin_ = exp.ListBin(TAG_BIN)
    each = [
        exp.GT(exp.ListGetByValue(None, aerospike.LIST_RETURN_COUNT, tag, bin_), 0)
        for tag in stored_tags
    ]
    return each[0] if len(each) == 1 else exp.Or(*each)
