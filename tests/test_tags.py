"""Tag validation and scoping (the server-side behaviour is tested through the store)."""

from __future__ import annotations

from typing import Any

import pytest

from aerospike_cache import tags


def test_valid_tags_are_deduplicated_in_order() -> None:
    assert tags.validate(["b", "a", "b", "é" * 64]) == ["b", "a", "é" * 64]
    assert tags.validate(None) == []
    assert tags.validate(()) == []
    assert tags.validate(iter(["x"])) == ["x"]


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        ("product:7", TypeError, r"single str .*tags=\['product:7'\]"),
        (b"x", TypeError, "single bytes"),
        ([1], TypeError, "a tag must be a str, got int"),
        ([["x"]], TypeError, "must be a list of strings"),
        ([""], ValueError, "non-empty"),
        (["x" * 129], ValueError, "at most 128 bytes of UTF-8, got 129"),
        (["é" * 65], ValueError, "got 130 bytes"),
        (["\ud800"], ValueError, "lone surrogate"),
        (["a\x00b"], ValueError, "NUL"),
        ([f"t{i}" for i in range(33)], ValueError, "at most 32 tags, got 33"),
        (5, TypeError, "must be a list of strings"),
    ],
)
def test_bad_tags_are_refused(bad: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        tags.validate(bad)


def test_limits_are_inclusive() -> None:
    assert len(tags.validate([f"t{i}" for i in range(32)])) == 32
    assert tags.validate(["x" * 128]) == ["x" * 128]


def test_scoped() -> None:
    assert tags.scoped("", ["a", "b"]) == ["a", "b"]
    assert tags.scoped("app:", ["a"]) == ["app:a"]
