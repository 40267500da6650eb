"""Map operations in ``operate``: a differential test against a real node.

Every case is a script (put, operate, get steps) run on the embedded server and,
when ``AEROSPIKE_HOSTS`` points at a real node, on that node too in the same
test: the answers (each op's result in order, or the error code, and the record
as read back, maps with their key order) must be identical. The answers of a
real 8.1.2 node are recorded in ``map_ops_recorded.json`` so that the embedded
server is held to them where no real node runs (CI);
``AEROSPIKE_RECORD_MAP_OPS=1`` with a real node rewrites that file.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aerospike
import pytest
from aerospike import exception as ex
from aerospike_helpers import cdt_ctx
from aerospike_helpers.expressions import base as exp
from aerospike_helpers.expressions import map as emap
from aerospike_helpers.operations import expression_operations as eo
from aerospike_helpers.operations import map_operations as mo
from aerospike_helpers.operations import operations as op

from aerospike_cache.server import EmbeddedServer, NamespaceConfig

from .test_map_ops import CREATE_ONLY, K_ORDERED, KV_ORDERED, NO_FAIL, ORDERS, PARTIAL, UNORDERED, B

RECORDED = Path(__file__).with_name("map_ops_recorded.json")
RECORD = os.environ.get("AEROSPIKE_RECORD_MAP_OPS") == "1"
SET = "map_ops"
#: every return type, the range ones by number (the Python client has no names for them)
RETURN_TYPES = {
    "none": aerospike.MAP_RETURN_NONE,
    "index": aerospike.MAP_RETURN_INDEX,
    "revindex": aerospike.MAP_RETURN_REVERSE_INDEX,
    "rank": aerospike.MAP_RETURN_RANK,
    "revrank": aerospike.MAP_RETURN_REVERSE_RANK,
    "count": aerospike.MAP_RETURN_COUNT,
    "key": aerospike.MAP_RETURN_KEY,
    "value": aerospike.MAP_RETURN_VALUE,
    "key_value": aerospike.MAP_RETURN_KEY_VALUE,
    "exists": aerospike.MAP_RETURN_EXISTS,
    "unordered_map": aerospike.MAP_RETURN_UNORDERED_MAP,
    "ordered_map": aerospike.MAP_RETURN_ORDERED_MAP,
    "index_range": 9,
    "revindex_range": 10,
    "rank_range": 11,
    "revrank_range": 12,
}
#: a map with duplicate values, integer and string keys, and values of several types
DATA: dict[Any, Any] = {"e": 5, "b": 1, "a": 3, "d": 1, "c": 2, 7: "x", 2: [1, 2], "f": 2.5}

Step = tuple[Any, ...]


def _fill(order: int, data: dict[Any, Any] | None = None) -> Step:
    return ("ops", [mo.map_put_items(B, DATA if data is None else data, {"map_order": order})])


GET: Step = ("get",)


def _each_return_type(
    order: int, make: Any, inverted: bool, remove: bool, data: dict[Any, Any] | None = None
) -> list[Step]:
    """One op with every return type (a fresh map before each remove)."""
    steps: list[Step] = [_fill(order, data)]
    for rt in RETURN_TYPES.values():
        if remove:
            steps += [("ops", [op.delete()]), _fill(order, data)]
        steps.append(("ops", [make(rt, inverted)]))
        if remove:
            steps.append(GET)
    return steps


#: selection ops: name -> (get op, remove op), each (return type, inverted) -> op
SELECTIONS: dict[str, tuple[Any, Any]] = {
    "by_key": (
        lambda rt, inv: mo.map_get_by_key(B, "c", rt),
        lambda rt, inv: mo.map_remove_by_key(B, "c", rt),
    ),
    "by_key_missing": (
        lambda rt, inv: mo.map_get_by_key(B, "zz", rt),
        lambda rt, inv: mo.map_remove_by_key(B, "zz", rt),
    ),
    "by_key_list": (
        lambda rt, inv: mo.map_get_by_key_list(B, ["d", "a", "zz", 7], rt, inv),
        lambda rt, inv: mo.map_remove_by_key_list(B, ["d", "a", "zz", 7], rt, inv),
    ),
    "by_key_list_empty": (
        lambda rt, inv: mo.map_get_by_key_list(B, [], rt, inv),
        lambda rt, inv: mo.map_remove_by_key_list(B, [], rt, inv),
    ),
    "by_key_range": (
        lambda rt, inv: mo.map_get_by_key_range(B, "b", "e", rt, inv),
        lambda rt, inv: mo.map_remove_by_key_range(B, "b", "e", rt, inv),
    ),
    "by_key_range_open": (
        lambda rt, inv: mo.map_get_by_key_range(B, "c", None, rt, inv),
        lambda rt, inv: mo.map_remove_by_key_range(B, "c", None, rt, inv),
    ),
    "by_key_range_none": (
        lambda rt, inv: mo.map_get_by_key_range(B, "x", "z", rt, inv),
        lambda rt, inv: mo.map_remove_by_key_range(B, "x", "z", rt, inv),
    ),
    "by_value": (
        lambda rt, inv: mo.map_get_by_value(B, 1, rt, inv),
        lambda rt, inv: mo.map_remove_by_value(B, 1, rt, inv),
    ),
    "by_value_missing": (
        lambda rt, inv: mo.map_get_by_value(B, 99, rt, inv),
        lambda rt, inv: mo.map_remove_by_value(B, 99, rt, inv),
    ),
    "by_value_list": (
        lambda rt, inv: mo.map_get_by_value_list(B, [2, 1, "x"], rt, inv),
        lambda rt, inv: mo.map_remove_by_value_list(B, [2, 1, "x"], rt, inv),
    ),
    "by_value_range": (
        lambda rt, inv: mo.map_get_by_value_range(B, 2, 5, rt, inv),
        lambda rt, inv: mo.map_remove_by_value_range(B, 2, 5, rt, inv),
    ),
    "by_value_range_open": (
        lambda rt, inv: mo.map_get_by_value_range(B, 3, None, rt, inv),
        lambda rt, inv: mo.map_remove_by_value_range(B, 3, None, rt, inv),
    ),
    "by_index": (
        lambda rt, inv: mo.map_get_by_index(B, 2, rt),
        lambda rt, inv: mo.map_remove_by_index(B, 2, rt),
    ),
    "by_index_negative": (
        lambda rt, inv: mo.map_get_by_index(B, -1, rt),
        lambda rt, inv: mo.map_remove_by_index(B, -1, rt),
    ),
    "by_index_out_of_range": (
        lambda rt, inv: mo.map_get_by_index(B, 20, rt),
        lambda rt, inv: mo.map_remove_by_index(B, 20, rt),
    ),
    "by_index_range": (
        lambda rt, inv: mo.map_get_by_index_range(B, 1, 3, rt, inv),
        lambda rt, inv: mo.map_remove_by_index_range(B, 1, 3, rt, inv),
    ),
    "by_index_range_tail": (
        lambda rt, inv: mo.map_get_by_index_range(B, -3, 10, rt, inv),
        lambda rt, inv: mo.map_remove_by_index_range(B, -3, 10, rt, inv),
    ),
    "by_rank": (
        lambda rt, inv: mo.map_get_by_rank(B, 0, rt),
        lambda rt, inv: mo.map_remove_by_rank(B, 0, rt),
    ),
    "by_rank_negative": (
        lambda rt, inv: mo.map_get_by_rank(B, -1, rt),
        lambda rt, inv: mo.map_remove_by_rank(B, -1, rt),
    ),
    "by_rank_range": (
        lambda rt, inv: mo.map_get_by_rank_range(B, 1, 3, rt, inv),
        lambda rt, inv: mo.map_remove_by_rank_range(B, 1, 3, rt, inv),
    ),
    "by_rank_range_head": (
        lambda rt, inv: mo.map_get_by_rank_range(B, 0, 2, rt, inv),
        lambda rt, inv: mo.map_remove_by_rank_range(B, 0, 2, rt, inv),
    ),
    "by_key_rel_index": (
        lambda rt, inv: mo.map_get_by_key_index_range_relative(B, "bb", 1, rt, 2, inv),
        lambda rt, inv: mo.map_remove_by_key_index_range_relative(B, "bb", 1, rt, 2, inv),
    ),
    "by_key_rel_index_open": (
        lambda rt, inv: mo.map_get_by_key_index_range_relative(B, "c", -2, rt, None, inv),
        lambda rt, inv: mo.map_remove_by_key_index_range_relative(B, "c", -2, rt, None, inv),
    ),
    "by_value_rel_rank": (
        lambda rt, inv: mo.map_get_by_value_rank_range_relative(B, 2, -1, rt, 3, inv),
        lambda rt, inv: mo.map_remove_by_value_rank_range_relative(B, 2, -1, rt, 3, inv),
    ),
    "by_value_rel_rank_open": (
        lambda rt, inv: mo.map_get_by_value_rank_range_relative(B, 3, 0, rt, None, inv),
        lambda rt, inv: mo.map_remove_by_value_rank_range_relative(B, 3, 0, rt, None, inv),
    ),
}
#: the single-entry selections take no INVERTED flag in the Python client
_SINGLE = {"by_key", "by_key_missing", "by_index", "by_index_negative", "by_index_out_of_range"}
_SINGLE |= {"by_rank", "by_rank_negative"}


#: a real 8.1.2 node dies (SIGSEGV in packed_map_get_remove_all, its offset index
#: never filled) on an inverted get by an empty key list: not sent to it (the
#: embedded server answers what that code means: every entry)
_CRASHES_WHEN_INVERTED = {"by_key_list_empty"}


def _selection_cases() -> Iterator[Any]:
    for name, (get, remove) in SELECTIONS.items():
        for order_name in ORDERS:
            order = ORDERS[order_name]
            for inverted in (False, True):
                if inverted and (name in _SINGLE or name in _CRASHES_WHEN_INVERTED):
                    continue
                suffix = f"{order_name}{'-inverted' if inverted else ''}"
                yield pytest.param(
                    _each_return_type(order, get, inverted, False), id=f"get_{name}-{suffix}"
                )
                yield pytest.param(
                    _each_return_type(order, remove, inverted, True), id=f"remove_{name}-{suffix}"
                )
        # an empty map (not inverted: an inverted read of everything risks the node, above)
        for kind, make in (("get", get), ("remove", remove)):
            steps = _each_return_type(K_ORDERED, make, False, kind == "remove", {})
            yield pytest.param(steps, id=f"{kind}_{name}-empty")


def _w(flags: int, order: int = UNORDERED) -> dict[str, int]:
    return {"map_write_flags": flags, "map_order": order}


UPDATE_ONLY = aerospike.MAP_WRITE_FLAGS_UPDATE_ONLY

#: writes, flags, types, missing bins and records, several ops in one operate
WRITE_CASES: dict[str, list[Step]] = {
    **{
        f"put_creates_{name}": [
            ("ops", [mo.map_put(B, "b", 1, {"map_order": order}), mo.map_put(B, "a", 2)]),
            ("ops", [mo.map_put(B, 3, "three"), mo.map_size(B)]),
            ("ops", [mo.map_get_by_index_range(B, 0, 5, aerospike.MAP_RETURN_KEY_VALUE)]),
            GET,
        ]
        for name, order in ORDERS.items()
    },
    **{
        f"put_items_creates_{name}": [
            _fill(order),
            ("ops", [mo.map_put_items(B, {"zz": 1, "aa": 2})]),
            GET,
            ("ops", [mo.map_get_by_rank_range(B, 0, 4, aerospike.MAP_RETURN_KEY)]),
        ]
        for name, order in ORDERS.items()
    },
    "put_keeps_first_order": [
        ("ops", [mo.map_put(B, "b", 1, {"map_order": K_ORDERED})]),
        ("ops", [mo.map_put(B, "a", 1, {"map_order": UNORDERED})]),
        ("ops", [mo.map_get_by_index(B, 0, aerospike.MAP_RETURN_KEY)]),
        GET,
    ],
    "client_put_stores_key_order": [
        ("put", {B: {"b": 1, "a": 2, 3: "c", "aa": {"z": 1, "y": 2}}}),
        GET,
        ("ops", [mo.map_get_by_index(B, 0, aerospike.MAP_RETURN_KEY_VALUE)]),
        ("ops", [mo.map_put(B, "ab", 0)]),
        GET,
    ],
    "write_flags_create_only": [
        _fill(UNORDERED),
        ("ops", [mo.map_put(B, "a", 9, _w(CREATE_ONLY))]),
        ("ops", [mo.map_put(B, "new", 9, _w(CREATE_ONLY))]),
        ("ops", [mo.map_put(B, "a", 9, _w(CREATE_ONLY | NO_FAIL))]),
        ("ops", [mo.map_put_items(B, {"a": 9, "n2": 1}, _w(CREATE_ONLY))]),
        ("ops", [mo.map_put_items(B, {"a": 9, "n2": 1}, _w(CREATE_ONLY | NO_FAIL))]),
        ("ops", [mo.map_put_items(B, {"a": 9, "n3": 1}, _w(CREATE_ONLY | NO_FAIL | PARTIAL))]),
        GET,
    ],
    "write_flags_update_only": [
        _fill(K_ORDERED),
        ("ops", [mo.map_put(B, "zz", 9, _w(UPDATE_ONLY))]),
        ("ops", [mo.map_put(B, "a", 9, _w(UPDATE_ONLY))]),
        ("ops", [mo.map_put(B, "zz", 9, _w(UPDATE_ONLY | NO_FAIL))]),
        ("ops", [mo.map_put_items(B, {"b": 8, "zz": 1}, _w(UPDATE_ONLY))]),
        ("ops", [mo.map_put_items(B, {"b": 8, "zz": 1}, _w(UPDATE_ONLY | NO_FAIL))]),
        ("ops", [mo.map_put_items(B, {"b": 8, "zz": 1}, _w(UPDATE_ONLY | NO_FAIL | PARTIAL))]),
        GET,
    ],
    "write_flags_on_missing_bin": [
        ("put", {"other": 1}),
        ("ops", [mo.map_put(B, "a", 1, _w(UPDATE_ONLY))]),
        ("ops", [mo.map_put(B, "a", 1, _w(UPDATE_ONLY | NO_FAIL))]),
        GET,
        ("ops", [mo.map_put_items(B, {"a": 1}, _w(CREATE_ONLY, K_ORDERED))]),
        GET,
    ],
    "increment_decrement": [
        _fill(UNORDERED),
        ("ops", [mo.map_increment(B, "a", 4), mo.map_decrement(B, "b", 3)]),
        ("ops", [mo.map_increment(B, "new", 7), mo.map_decrement(B, "new2", 2)]),
        ("ops", [mo.map_increment(B, "f", 1), mo.map_increment(B, "a", 0.75)]),
        ("ops", [mo.map_increment(B, "newf", 1.5)]),
        ("ops", [mo.map_increment(B, 7, 1)]),
        ("ops", [mo.map_increment(B, 2, 1)]),
        GET,
    ],
    "increment_wraps_int64": [
        ("ops", [mo.map_put(B, "n", 2**63 - 1)]),
        ("ops", [mo.map_increment(B, "n", 1)]),
        ("ops", [mo.map_decrement(B, "n", 1)]),
    ],
    "increment_creates_bin_with_order": [
        ("put", {"other": 1}),
        ("ops", [mo.map_increment(B, "z", 1, {"map_order": K_ORDERED})]),
        ("ops", [mo.map_increment(B, "a", 2)]),
        ("ops", [mo.map_get_by_index(B, 0, aerospike.MAP_RETURN_KEY)]),
        GET,
    ],
    "wrong_bin_type": [
        ("put", {B: "a string", "i": 1, "l": [1, 2]}),
        ("ops", [mo.map_size(B)]),
        ("ops", [mo.map_put(B, "a", 1)]),
        ("ops", [mo.map_get_by_key(B, "a", aerospike.MAP_RETURN_VALUE)]),
        ("ops", [mo.map_remove_by_key("i", "a", aerospike.MAP_RETURN_VALUE)]),
        ("ops", [mo.map_clear("i")]),
        ("ops", [mo.map_size("l")]),
        ("ops", [mo.map_put("l", "a", 1)]),
        GET,
    ],
    "missing_bin": [
        ("put", {"other": 1}),
        ("ops", [mo.map_size(B)]),
        ("ops", [mo.map_get_by_key(B, "a", aerospike.MAP_RETURN_VALUE)]),
        ("ops", [mo.map_remove_by_key(B, "a", aerospike.MAP_RETURN_VALUE)]),
        ("ops", [mo.map_remove_by_key_list(B, ["a"], aerospike.MAP_RETURN_COUNT)]),
        ("ops", [mo.map_clear(B)]),
        ("ops", [mo.map_get_by_rank_range(B, 0, 2, aerospike.MAP_RETURN_COUNT)]),
        GET,
        ("ops", [mo.map_put_items(B, {})]),
        GET,
    ],
    "missing_record": [
        ("ops", [mo.map_size(B)]),
        ("ops", [mo.map_get_by_key(B, "a", aerospike.MAP_RETURN_VALUE)]),
        ("ops", [mo.map_remove_by_key(B, "a", aerospike.MAP_RETURN_VALUE)]),
        GET,
        ("ops", [mo.map_clear(B)]),
        GET,
        ("ops", [mo.map_put(B, "a", 1)]),
        GET,
    ],
    "size_and_clear": [
        _fill(K_ORDERED),
        ("ops", [mo.map_size(B), mo.map_clear(B), mo.map_size(B)]),
        GET,
        ("ops", [mo.map_put(B, "b", 1), mo.map_put(B, "a", 1)]),
        ("ops", [mo.map_get_by_index(B, 0, aerospike.MAP_RETURN_KEY)]),
    ],
    "read_after_write_in_one_operate": [
        _fill(UNORDERED),
        (
            "ops",
            [
                mo.map_put(B, "a", 100),
                mo.map_get_by_key(B, "a", aerospike.MAP_RETURN_VALUE),
                mo.map_remove_by_key(B, "b", aerospike.MAP_RETURN_KEY_VALUE),
                mo.map_size(B),
                mo.map_increment(B, "a", 1),
                op.read(B),
            ],
        ),
        GET,
    ],
    "failing_op_changes_nothing": [
        _fill(UNORDERED),
        (
            "ops",
            [
                mo.map_put(B, "a", 100),
                mo.map_put(B, "b", 9, _w(CREATE_ONLY)),
            ],
        ),
        GET,
        (
            "ops",
            [
                mo.map_remove_by_key(B, "a", aerospike.MAP_RETURN_NONE),
                mo.map_get_by_index(B, 50, 7),
            ],
        ),
        GET,
    ],
    "set_policy_and_create": [
        ("ops", [mo.map_put_items(B, {"b": 2, "a": 1, "c": 0})]),
        ("ops", [mo.map_set_policy(B, {"map_order": K_ORDERED})]),
        ("ops", [mo.map_get_by_index(B, 0, aerospike.MAP_RETURN_KEY)]),
        ("ops", [mo.map_set_policy(B, {"map_order": KV_ORDERED})]),
        ("ops", [mo.map_get_by_rank(B, 0, aerospike.MAP_RETURN_KEY)]),
        ("ops", [mo.map_create("n", K_ORDERED, False)]),
        ("ops", [mo.map_size("n")]),
        GET,
    ],
    "key_types": [
        (
            "ops",
            [mo.map_put_items(B, {"s": 1, 5: 2, -3: 3, b"\x01\x02": 4}, {"map_order": K_ORDERED})],
        ),
        ("ops", [mo.map_get_by_index_range(B, 0, 10, aerospike.MAP_RETURN_KEY)]),
        ("ops", [mo.map_put(B, 1.5, 1)]),
        ("ops", [mo.map_put(B, None, 1)]),
        ("ops", [mo.map_put(B, "v", {"z": [3, {"y": 1, "x": 2}], "a": None})]),
        GET,
    ],
    "value_types_order": [
        (
            "ops",
            [
                mo.map_put_items(
                    B,
                    {
                        "i": 10,
                        "s": "str",
                        "f": 1.5,
                        "n": None,
                        "t": True,
                        "l": [1, "a"],
                        "m": {"k": 1},
                        "b": bytearray(b"\x00"),
                        "neg": -4,
                    },
                )
            ],
        ),
        ("ops", [mo.map_get_by_rank_range(B, 0, 20, aerospike.MAP_RETURN_KEY)]),
        ("ops", [mo.map_get_by_value_range(B, 0, "zz", aerospike.MAP_RETURN_KEY)]),
    ],
    "wildcard_and_infinity": [
        ("ops", [mo.map_put_items(B, {"a": [1, "x"], "b": [1, "y", 3], "c": [2, "z"], "d": 5})]),
        ("ops", [mo.map_get_by_value(B, [1, aerospike.CDTWildcard()], aerospike.MAP_RETURN_KEY)]),
        (
            "ops",
            [mo.map_get_by_value_range(B, [1], aerospike.CDTInfinite(), aerospike.MAP_RETURN_KEY)],
        ),
        (
            "ops",
            [mo.map_get_by_key_range(B, "b", aerospike.CDTInfinite(), aerospike.MAP_RETURN_KEY)],
        ),
    ],
    "put_nested_map_unsorted": [  # the top level already in order: only the nested map is not
        ("put", {B: {"a": {"z": 1, "b": 2}, "b": [{"y": 1, "c": 2}]}}),
        ("get",),
        (
            "ops",
            [
                mo.map_get_by_index(
                    B, 0, aerospike.MAP_RETURN_KEY, ctx=[cdt_ctx.cdt_ctx_map_key("a")]
                )
            ],
        ),
        (
            "ops",
            [
                mo.map_get_by_index(
                    B,
                    0,
                    aerospike.MAP_RETURN_KEY,
                    ctx=[cdt_ctx.cdt_ctx_map_key("b"), cdt_ctx.cdt_ctx_list_index(0)],
                )
            ],
        ),
    ],
    "ctx_nested_maps": [
        ("put", {B: {"outer": {"b": 1, "a": 2}, "list": [{"x": 1}, {"y": 2}]}}),
        ("ops", [mo.map_put(B, "c", 3, ctx=[cdt_ctx.cdt_ctx_map_key("outer")])]),
        (
            "ops",
            [
                mo.map_get_by_key(
                    B, "a", aerospike.MAP_RETURN_VALUE, ctx=[cdt_ctx.cdt_ctx_map_key("outer")]
                )
            ],
        ),
        ("ops", [mo.map_size(B, ctx=[cdt_ctx.cdt_ctx_map_key("nope")])]),
        ("ops", [mo.map_put(B, "z", 1, ctx=[cdt_ctx.cdt_ctx_map_key("nope")])]),
        (
            "ops",
            [
                mo.map_put(
                    B,
                    "k",
                    1,
                    {"map_order": K_ORDERED},
                    ctx=[cdt_ctx.cdt_ctx_map_key_create("new", K_ORDERED)],
                )
            ],
        ),
        ("ops", [mo.map_increment(B, "x", 5, ctx=[cdt_ctx.cdt_ctx_map_key("list")])]),
        (
            "ops",
            [
                mo.map_increment(
                    B, "x", 5, ctx=[cdt_ctx.cdt_ctx_map_key("list"), cdt_ctx.cdt_ctx_list_index(0)]
                )
            ],
        ),
        (
            "ops",
            [
                mo.map_remove_by_key(
                    B, "b", aerospike.MAP_RETURN_VALUE, ctx=[cdt_ctx.cdt_ctx_map_index(1)]
                )
            ],
        ),
        (
            "ops",
            [
                mo.map_get_by_rank(
                    B, 0, aerospike.MAP_RETURN_KEY, ctx=[cdt_ctx.cdt_ctx_map_rank(-1)]
                )
            ],
        ),
        GET,
        (
            "ops",
            [
                mo.map_put(
                    B, "q", 1, ctx=[cdt_ctx.cdt_ctx_map_key("outer"), cdt_ctx.cdt_ctx_map_key("a")]
                )
            ],
        ),
    ],
    "ctx_on_missing_bin": [
        ("put", {"other": 1}),
        ("ops", [mo.map_put(B, "k", 1, ctx=[cdt_ctx.cdt_ctx_map_key("a")])]),
        ("ops", [mo.map_size(B, ctx=[cdt_ctx.cdt_ctx_map_key("a")])]),
        ("ops", [mo.map_put(B, "k", 1, ctx=[cdt_ctx.cdt_ctx_map_key_create("a", K_ORDERED)])]),
        GET,
    ],
    "collections_as_the_store_uses_them": [
        # a set: member -> true; a sorted set: member -> score
        ("ops", [mo.map_put_items(B, {"m2": True, "m1": True}, {"map_order": K_ORDERED})]),
        (
            "ops",
            [
                mo.map_put(B, "m3", True, _w(CREATE_ONLY | NO_FAIL, K_ORDERED)),
                mo.map_put(B, "m1", True, _w(CREATE_ONLY | NO_FAIL, K_ORDERED)),
                mo.map_get_by_key_list(B, ["m1", "zz"], aerospike.MAP_RETURN_KEY),
                mo.map_get_by_key(B, "zz", aerospike.MAP_RETURN_EXISTS),
                mo.map_remove_by_index_range(B, 0, 2, aerospike.MAP_RETURN_KEY),
            ],
        ),
        (
            "ops",
            [
                mo.map_put_items(
                    "z", {"a": 1.5, "b": -2, "c": 1.5, "d": 7}, {"map_order": KV_ORDERED}
                )
            ],
        ),
        (
            "ops",
            [
                mo.map_increment("z", "b", 0.5),
                mo.map_increment("z", "e", 2.25),
                mo.map_get_by_value_range("z", -10, 2, aerospike.MAP_RETURN_KEY_VALUE),
                mo.map_get_by_value_range("z", 1.0, 2.0, aerospike.MAP_RETURN_KEY),
                mo.map_get_by_rank_range("z", -2, 2, aerospike.MAP_RETURN_KEY_VALUE),
                mo.map_remove_by_rank_range("z", 0, 1, aerospike.MAP_RETURN_KEY_VALUE),
                mo.map_get_by_key("z", "c", aerospike.MAP_RETURN_RANK),
                mo.map_get_by_key("z", "c", aerospike.MAP_RETURN_REVERSE_RANK),
            ],
        ),
        GET,
    ],
    "ranges_at_the_edges": [
        _fill(K_ORDERED),
        ("ops", [mo.map_get_by_index_range(B, 2, 0, aerospike.MAP_RETURN_KEY)]),
        ("ops", [mo.map_get_by_index_range(B, -20, 3, aerospike.MAP_RETURN_KEY)]),
        ("ops", [mo.map_get_by_index_range(B, -20, 30, aerospike.MAP_RETURN_INDEX, True)]),
        ("ops", [mo.map_get_by_index_range(B, 20, 3, aerospike.MAP_RETURN_COUNT)]),
        ("ops", [mo.map_get_by_rank_range(B, -3, 10, aerospike.MAP_RETURN_VALUE)]),
        ("ops", [mo.map_get_by_rank_range(B, 8, 1, aerospike.MAP_RETURN_RANK)]),
        ("ops", [mo.map_get_by_rank(B, -9, aerospike.MAP_RETURN_VALUE)]),
        ("ops", [mo.map_get_by_key_range(B, "d", "b", aerospike.MAP_RETURN_KEY)]),
        ("ops", [mo.map_get_by_value_range(B, 5, 1, aerospike.MAP_RETURN_KEY)]),
        ("ops", [mo.map_get_by_key_index_range_relative(B, "zz", -2, aerospike.MAP_RETURN_KEY, 5)]),
        ("ops", [mo.map_get_by_value_rank_range_relative(B, 0, -5, aerospike.MAP_RETURN_KEY, 7)]),
        ("ops", [mo.map_remove_by_index_range(B, 0, 100, aerospike.MAP_RETURN_COUNT)]),
        GET,
        ("ops", [mo.map_get_by_index(B, 0, aerospike.MAP_RETURN_KEY)]),
        ("ops", [mo.map_get_by_rank_range(B, 0, 2, aerospike.MAP_RETURN_RANK)]),
        ("ops", [mo.map_get_by_value(B, 1, aerospike.MAP_RETURN_INDEX)]),
    ],
    "persist_index": [
        ("ops", [mo.map_create(B, K_ORDERED, True)]),
        ("ops", [mo.map_put_items(B, {"b": 1, "a": 2, "c": 3})]),
        ("ops", [mo.map_get_by_rank(B, 0, aerospike.MAP_RETURN_KEY), mo.map_size(B)]),
        GET,
        ("ops", [mo.map_create("kv", KV_ORDERED, True), mo.map_put_items("kv", {"y": 2, "x": 1})]),
        ("ops", [mo.map_get_by_value(B, 2, aerospike.MAP_RETURN_KEY), op.read("kv")]),
    ],
    "ctx_create_levels": [
        ("put", {"other": 1}),
        (
            "ops",
            [
                mo.map_put(
                    B,
                    "k",
                    1,
                    ctx=[
                        cdt_ctx.cdt_ctx_map_key_create("x", K_ORDERED),
                        cdt_ctx.cdt_ctx_map_key_create("y", UNORDERED),
                    ],
                )
            ],
        ),
        (
            "ops",
            [
                mo.map_put(
                    B, "j", 2, ctx=[cdt_ctx.cdt_ctx_map_key("x"), cdt_ctx.cdt_ctx_map_key("y")]
                )
            ],
        ),
        (
            "ops",
            [mo.map_put(B, "b", 1, ctx=[cdt_ctx.cdt_ctx_map_key_create("a", KV_ORDERED)])],
        ),
        ("ops", [mo.map_put(B, "q", 1, ctx=[cdt_ctx.cdt_ctx_map_key_create("x", UNORDERED)])]),
        (
            "ops",
            [
                mo.map_get_by_index(
                    B, 0, aerospike.MAP_RETURN_KEY, ctx=[cdt_ctx.cdt_ctx_map_key("x")]
                )
            ],
        ),
        ("ops", [mo.map_create(B, K_ORDERED, False, ctx=[cdt_ctx.cdt_ctx_map_key("a")])]),
        (
            "ops",
            [mo.map_create(B, K_ORDERED, False, ctx=[cdt_ctx.cdt_ctx_map_key_create("new", 0)])],
        ),
        ("ops", [mo.map_size(B, ctx=[cdt_ctx.cdt_ctx_map_value({"b": 1})])]),
        ("ops", [mo.map_clear(B, ctx=[cdt_ctx.cdt_ctx_map_key("a")])]),
        (
            "ops",
            [
                mo.map_remove_by_key(
                    B, "zz", aerospike.MAP_RETURN_COUNT, ctx=[cdt_ctx.cdt_ctx_map_key("a")]
                )
            ],
        ),
        (
            "ops",
            [mo.map_increment(B, "c", 3, ctx=[cdt_ctx.cdt_ctx_map_key_create("cnt", K_ORDERED)])],
        ),
        (
            "ops",
            [
                mo.map_get_by_key(
                    B,
                    "zz",
                    aerospike.MAP_RETURN_VALUE,
                    ctx=[cdt_ctx.cdt_ctx_map_key_create("nope", K_ORDERED)],
                )
            ],
        ),
        GET,
    ],
    "ctx_into_lists": [
        ("put", {B: {"l": [{"b": 1}, 5, {"a": 2, "c": 3}], "s": "x"}}),
        (
            "ops",
            [
                mo.map_put(
                    B, "z", 0, ctx=[cdt_ctx.cdt_ctx_map_key("l"), cdt_ctx.cdt_ctx_list_index(-1)]
                )
            ],
        ),
        (
            "ops",
            [
                mo.map_put(
                    B, "z", 0, ctx=[cdt_ctx.cdt_ctx_map_key("l"), cdt_ctx.cdt_ctx_list_index(1)]
                )
            ],
        ),
        (
            "ops",
            [
                mo.map_put(
                    B, "z", 0, ctx=[cdt_ctx.cdt_ctx_map_key("l"), cdt_ctx.cdt_ctx_list_index(7)]
                )
            ],
        ),
        ("ops", [mo.map_size(B, ctx=[cdt_ctx.cdt_ctx_map_key("s")])]),
        (
            "ops",
            [mo.map_size(B, ctx=[cdt_ctx.cdt_ctx_map_key("l"), cdt_ctx.cdt_ctx_list_rank(-1)])],
        ),
        (
            "ops",
            [
                mo.map_size(
                    B, ctx=[cdt_ctx.cdt_ctx_map_key("l"), cdt_ctx.cdt_ctx_list_value({"b": 1})]
                )
            ],
        ),
        (
            "ops",
            [mo.map_size(B, ctx=[cdt_ctx.cdt_ctx_map_index(0), cdt_ctx.cdt_ctx_list_index(0)])],
        ),
        ("ops", [mo.map_size(B, ctx=[cdt_ctx.cdt_ctx_list_index(0)])]),
        GET,
    ],
    "batch_rows": [
        _fill(K_ORDERED),
        ("ops", [mo.map_put_items(B, {"b": 30, "zz": 4})], "2"),
        ("put", {B: "not a map"}, "3"),
        (
            "batch",
            [mo.map_get_by_key_list(B, ["a", "b"], aerospike.MAP_RETURN_KEY), mo.map_size(B)],
        ),
        (
            "batch",
            [mo.map_put(B, "new", 1), mo.map_get_by_rank(B, -1, aerospike.MAP_RETURN_KEY_VALUE)],
        ),
        ("batch", [mo.map_remove_by_key(B, "b", aerospike.MAP_RETURN_VALUE)]),
        GET,
        ("get", None, "2"),
    ],
    # a real node compares lists and maps element by element, and a non-empty map that
    # is not key-ordered, once reached, makes the comparison unknown (26)
    "expressions_compare_stored_maps": [
        (
            "ops",
            [
                mo.map_put_items(B, {"b": 1, "a": 2}, {"map_order": K_ORDERED}),
                mo.map_put_items("k2", {"a": 2, "b": 1}, {"map_order": K_ORDERED}),
                mo.map_put_items("u", {"b": 1, "a": 2}),
                mo.map_put_items("e", {}),
                op.write("l", [1, 2]),
                op.write("l2", [1, {"x": 1, "y": 2}]),
            ],
        ),
        *(
            ("ops", [eo.expression_read("x", e.compile())])
            for e in (
                exp.Eq(exp.MapBin(B), {"a": 2, "b": 1}),
                exp.Eq(exp.MapBin("u"), {"a": 2, "b": 1}),
                exp.Eq(exp.MapBin("u"), exp.MapBin(B)),
                exp.GT(exp.MapBin(B), {"a": 1}),
                exp.Eq(exp.MapBin(B), exp.MapBin("k2")),
                exp.GT(exp.MapBin(B), exp.MapBin("k2")),
                exp.Eq(exp.MapBin(B), aerospike.KeyOrderedDict({"b": 1, "a": 2})),
                exp.LT(exp.MapBin(B), aerospike.KeyOrderedDict({"a": 3})),
                exp.Eq(exp.MapBin("e"), {}),
                exp.Eq(exp.ListBin("l"), [1, 2]),
                exp.Eq(exp.ListBin("l2"), [1, {"x": 1, "y": 2}]),
                exp.Eq(exp.ListBin("l2"), [2, {"x": 1, "y": 2}]),
                exp.Eq(
                    emap.MapGetByKeyRange(
                        None, aerospike.MAP_RETURN_ORDERED_MAP, "a", "c", exp.MapBin(B)
                    ),
                    exp.MapBin(B),
                ),
                exp.Eq(
                    emap.MapGetByKeyRange(
                        None, aerospike.MAP_RETURN_KEY_VALUE, "a", "c", exp.MapBin(B)
                    ),
                    exp.MapBin(B),
                ),
                emap.MapGetByIndex(
                    None, aerospike.MAP_RETURN_KEY, exp.ResultType.STRING, 0, exp.MapBin(B)
                ),
                emap.MapSize(None, exp.MapBin(B)),
            )
        ),
    ],
}


CASES = [
    *(pytest.param(steps, id=name) for name, steps in WRITE_CASES.items()),
    *_selection_cases(),
]


def canonical(v: Any) -> Any:
    """A value as JSON keeps it: maps as [key, value] pairs in their order, types tagged."""
    if isinstance(v, dict):
        return {"map": [[canonical(k), canonical(x)] for k, x in v.items()]}
    if isinstance(v, (list, tuple)):
        return [canonical(x) for x in v]
    if isinstance(v, (bytes, bytearray)):
        return {"bytes": bytes(v).hex()}
    if isinstance(v, float):
        return {"float": v}
    return v


def run_script(client: Any, key: tuple[str, str, str], steps: list[Step]) -> list[Any]:
    """Each step's answer: ["ok", results] or ["error", code]. A step names its record
    by a suffix of the case's key when it has one (("ops", ops, "2") is another record);
    a "batch" step reads or writes the case's records and a missing one in one batch."""
    keys = {"": key, **{s: (key[0], key[1], f"{key[2]}-{s}") for s in ("2", "3", "missing")}}
    for k in keys.values():
        with contextlib.suppress(ex.RecordNotFound):
            client.remove(k)
    answers: list[Any] = []
    for step in steps:
        target = keys[step[2]] if len(step) > 2 else key
        try:
            if step[0] == "ops":
                _k, _m, results = client.operate_ordered(target, step[1])
                answers.append(["ok", canonical(results)])
            elif step[0] == "put":
                client.put(target, step[1])
                answers.append(["ok"])
            elif step[0] == "batch":
                rows = [keys[s] for s in ("", "2", "3", "missing")]
                done = client.batch_operate(rows, step[1]).batch_records
                answers.append(
                    ["ok", [[r.result, canonical(r.record[2] if r.record else None)] for r in done]]
                )
            else:
                answers.append(["ok", canonical(client.get(target)[2])])
        except ex.AerospikeError as exc:
            answers.append(["error", exc.code])
    return answers


@pytest.fixture(scope="module")
def targets(aerospike_server: Any, aerospike_client: Any) -> Iterator[dict[str, tuple[Any, str]]]:
    """The embedded server, and the real node when AEROSPIKE_HOSTS names one."""
    ns = str(aerospike_server.namespace)
    if aerospike_server.is_embedded:
        yield {"embedded": (aerospike_client, ns)}
        return
    server = EmbeddedServer(namespaces=[NamespaceConfig(ns)], isolated=True)
    server.start()
    client = aerospike.client({"hosts": server.hosts}).connect()
    try:
        yield {"embedded": (client, ns), "real": (aerospike_client, ns)}
    finally:
        client.close()
        server.close()


@pytest.fixture(scope="module")
def recorded() -> Iterator[dict[str, Any]]:
    data: dict[str, Any] = json.loads(RECORDED.read_text()) if RECORDED.exists() else {}
    yield data
    if RECORD:  # one case a line, so that a change shows as the cases it touches
        cases = data.get("cases", {})
        lines = [
            f"  {json.dumps(k)}: {json.dumps(cases[k], separators=(',', ':'))}"
            for k in sorted(cases)
        ]
        head = f'{{"source": {json.dumps(data.get("source", ""))},\n "cases": {{\n'
        RECORDED.write_text(head + ",\n".join(lines) + "\n}}\n")


@pytest.mark.parametrize("steps", CASES)
def test_map_ops_match_a_real_node(
    request: pytest.FixtureRequest,
    steps: list[Step],
    targets: dict[str, tuple[Any, str]],
    recorded: dict[str, Any],
) -> None:
    case = request.node.callspec.id
    answers = {
        name: run_script(client, (ns, SET, case), steps) for name, (client, ns) in targets.items()
    }
    if "real" in answers:
        if RECORD:
            recorded.setdefault("cases", {})[case] = answers["real"]
            build = targets["real"][0].info_random_node("build").split("\t")[-1].strip()
            recorded["source"] = f"a real Aerospike node, build {build}"
        assert answers["embedded"] == answers["real"]
    expected = recorded.get("cases", {}).get(case)
    assert expected is not None, f"no recorded answer of a real node for {case}"
    assert answers["embedded"] == expected
