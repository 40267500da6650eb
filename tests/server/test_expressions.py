"""Filter expressions and expression operations, as a real Aerospike 8.1 node answers them.

Facts from ``aerospike-cluster-and-expressions.md`` ("Filter expressions"); every
test runs on the embedded server and, with ``AEROSPIKE_HOSTS``, on a real node.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import aerospike
import pytest
from aerospike import exception as ex
from aerospike_helpers import cdt_ctx
from aerospike_helpers import expressions as exp
from aerospike_helpers.batch import records as br
from aerospike_helpers.operations import expression_operations as eo
from aerospike_helpers.operations import operations as op

from .conftest import Key

pytestmark = pytest.mark.filterwarnings("ignore:CmpRegex:DeprecationWarning")

SEND_KEY = {"key": aerospike.POLICY_KEY_SEND}
BINS: dict[str, Any] = {
    "i": 5,
    "f": 1.5,
    "s": "abc",
    "b": bytearray(b"xy"),
    "o": True,
    "t": ["red", "blue", "red"],
    "m": {"a": 1, "b": 2},
    "n": {"a": [1, 2, 3], "b": {"c": 5}},
}
COUNT = aerospike.LIST_RETURN_COUNT
VALUE = aerospike.LIST_RETURN_VALUE
T = exp.ListBin("t")
M = exp.MapBin("m")


FALSE = exp.Eq(exp.IntBin("i"), 6).compile()
TRUE = exp.Eq(exp.IntBin("i"), 5).compile()


@pytest.fixture
def stored(client: Any, key: Key) -> Key:
    client.put(key, BINS, policy={**SEND_KEY, "ttl": 1000})
    return key


def _expr_policy(expression: Any) -> dict[str, Any]:
    return {"expressions": expression}


COMMANDS: dict[str, Callable[[Any, Key, Any], Any]] = {
    "get": lambda c, k, e: c.get(k, policy=_expr_policy(e)),
    "select": lambda c, k, e: c.select(k, ["i"], policy=_expr_policy(e)),
    "exists": lambda c, k, e: c.exists(k, policy=_expr_policy(e)),
    "put": lambda c, k, e: c.put(k, {"i": 9}, policy=_expr_policy(e)),
    "operate": lambda c, k, e: c.operate(k, [op.increment("i", 1)], policy=_expr_policy(e)),
    "remove": lambda c, k, e: c.remove(k, policy=_expr_policy(e)),
    "touch": lambda c, k, e: c.touch(k, 100, policy=_expr_policy(e)),
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_false_filter_answers_27_and_changes_nothing(
    client: Any, stored: Key, command: str
) -> None:
    _, before, _ = client.get(stored)
    with pytest.raises(ex.FilteredOut) as info:
        COMMANDS[command](client, stored, FALSE)
    assert info.value.code == 27
    _, after, bins = client.get(stored)
    assert bins == BINS
    assert after["gen"] == before["gen"]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_true_filter_lets_the_command_run(client: Any, stored: Key, command: str) -> None:
    COMMANDS[command](client, stored, TRUE)


def test_a_filter_on_a_missing_record_does_not_apply(client: Any, key: Key) -> None:
    with pytest.raises(ex.RecordNotFound):
        client.get(key, policy=_expr_policy(FALSE))
    client.put(key, {"i": 1}, policy=_expr_policy(FALSE))  # creates the record
    assert client.get(key)[2] == {"i": 1}


def test_a_filter_naming_a_missing_bin_is_false(client: Any, stored: Key) -> None:
    with pytest.raises(ex.FilteredOut):
        client.get(stored, policy=_expr_policy(exp.GT(exp.IntBin("nobin"), 1).compile()))


def _digest_mod(key: Key, n: int) -> int:
    digest = aerospike.calc_digest(*key)
    return int.from_bytes(bytes(digest[16:20]), "little") % n


# (expression, whether the stored record passes it)
FILTERS: dict[str, tuple[Any, bool]] = {
    "eq-int": (exp.Eq(exp.IntBin("i"), 5), True),
    "ne-int": (exp.NE(exp.IntBin("i"), 5), False),
    "gt-lt": (exp.And(exp.GT(exp.IntBin("i"), 4), exp.LT(exp.IntBin("i"), 6)), True),
    "ge-le": (exp.And(exp.GE(exp.IntBin("i"), 5), exp.LE(exp.IntBin("i"), 4)), False),
    "float": (exp.Eq(exp.FloatBin("f"), 1.5), True),
    "str": (exp.Eq(exp.StrBin("s"), "abc"), True),
    "str-order": (exp.LT(exp.StrBin("s"), "abd"), True),
    "blob": (exp.Eq(exp.BlobBin("b"), b"xy"), True),
    "bool": (exp.Eq(exp.BoolBin("o"), True), True),
    "list": (exp.Eq(exp.ListBin("t"), ["red", "blue", "red"]), True),
    # the bin holds an unordered map (a plain dict): a real node answers unknown (map cases below)
    "map": (exp.Eq(exp.MapBin("m"), {"a": 1, "b": 2}), False),
    "wrong-type": (exp.Eq(exp.StrBin("i"), "5"), False),
    "bin-exists": (exp.BinExists("i"), True),
    "not-bin-exists": (exp.Not(exp.BinExists("e")), True),
    "bin-type": (exp.Eq(exp.BinType("s"), aerospike.AS_BYTES_STRING), True),
    "bin-type-missing": (exp.Eq(exp.BinType("e"), aerospike.AS_BYTES_UNDEF), True),
    "or": (exp.Or(exp.Eq(exp.IntBin("i"), 1), exp.Eq(exp.StrBin("s"), "abc")), True),
    "or-unknown-true": (exp.Or(exp.GT(exp.IntBin("e"), 1), exp.Eq(exp.IntBin("i"), 5)), True),
    "and-unknown": (exp.And(exp.GT(exp.IntBin("e"), 1), exp.Eq(exp.IntBin("i"), 5)), False),
    "not-unknown": (exp.Not(exp.GT(exp.IntBin("e"), 1)), False),
    "exclusive-one": (exp.Exclusive(exp.Eq(exp.IntBin("i"), 5), exp.Eq(exp.IntBin("i"), 1)), True),
    "exclusive-two": (exp.Exclusive(exp.Eq(exp.IntBin("i"), 5), exp.BinExists("s")), False),
    "add": (exp.Eq(exp.Add(exp.IntBin("i"), 1, 2), 8), True),
    "sub-mul": (exp.Eq(exp.Mul(exp.Sub(exp.IntBin("i"), 7), 3), -6), True),
    "div-trunc": (exp.Eq(exp.Div(-7, 2), -3), True),
    "mod": (exp.Eq(exp.Mod(exp.IntBin("i"), 3), 2), True),
    "abs": (exp.Eq(exp.Abs(exp.Sub(0, exp.IntBin("i"))), 5), True),
    "div-by-zero": (exp.Eq(exp.Div(exp.IntBin("i"), 0), 0), False),
    "float-math": (exp.Eq(exp.Mul(exp.FloatBin("f"), 2.0), 3.0), True),
    "to-float": (exp.Eq(exp.ToFloat(exp.IntBin("i")), 5.0), True),
    "min-max": (exp.Eq(exp.Max(exp.Min(exp.IntBin("i"), 3), 1), 3), True),
    "cond": (
        exp.Eq(exp.Cond(exp.GT(exp.IntBin("i"), 9), 1, exp.LT(exp.IntBin("i"), 9), 2, 3), 2),
        True,
    ),
    "let": (
        exp.Let(
            exp.Def("x", exp.IntBin("i")), exp.And(exp.GT(exp.Var("x"), 4), exp.LT(exp.Var("x"), 6))
        ),
        True,
    ),
    "key-exists": (exp.KeyExists(), True),
    "key-str": (exp.Eq(exp.KeyStr(), "k1"), True),
    "key-int": (exp.Eq(exp.KeyInt(), 1), False),
    "regex": (exp.CmpRegex(aerospike.REGEX_NONE, "^k[0-9]$", exp.KeyStr()), True),
    "regex-icase": (exp.CmpRegex(aerospike.REGEX_ICASE, "^ABC$", exp.StrBin("s")), True),
    "regex-case": (exp.CmpRegex(aerospike.REGEX_NONE, "^ABC$", exp.StrBin("s")), False),
    "regex-extended": (exp.CmpRegex(aerospike.REGEX_EXTENDED, "^(ab)+c$", exp.StrBin("s")), True),
    "regex-basic-plus-is-literal": (
        exp.CmpRegex(aerospike.REGEX_NONE, "^ab+c$", exp.StrBin("s")),
        False,
    ),
    "ttl": (exp.GT(exp.TTL(), 0), True),
    "since-update": (exp.LT(exp.SinceUpdateTime(), 600_000), True),
    "record-size": (exp.GT(exp.RecordSize(), 0), True),
    "list-count": (
        exp.Eq(exp.ListGetByValue(None, aerospike.LIST_RETURN_COUNT, "red", exp.ListBin("t")), 2),
        True,
    ),
    "list-value-list": (
        exp.GT(
            exp.ListGetByValueList(
                None, aerospike.LIST_RETURN_COUNT, ["blue", "x"], exp.ListBin("t")
            ),
            0,
        ),
        True,
    ),
    "list-size": (exp.Eq(exp.ListSize(None, exp.ListBin("t")), 3), True),
    "list-index": (
        exp.Eq(
            exp.ListGetByIndex(
                None, aerospike.LIST_RETURN_VALUE, exp.ResultType.STRING, 1, exp.ListBin("t")
            ),
            "blue",
        ),
        True,
    ),
    "list-rank": (
        exp.Eq(
            exp.ListGetByRank(
                None, aerospike.LIST_RETURN_VALUE, exp.ResultType.STRING, 0, exp.ListBin("t")
            ),
            "blue",
        ),
        True,
    ),
    "map-key": (
        exp.Eq(
            exp.MapGetByKey(
                None, aerospike.MAP_RETURN_VALUE, exp.ResultType.INTEGER, "b", exp.MapBin("m")
            ),
            2,
        ),
        True,
    ),
    "map-size": (exp.Eq(exp.MapSize(None, exp.MapBin("m")), 2), True),
    "map-value-count": (
        exp.Eq(exp.MapGetByValue(None, aerospike.MAP_RETURN_COUNT, 1, exp.MapBin("m")), 1),
        True,
    ),
    "list-exists": (exp.ListGetByValue(None, aerospike.LIST_RETURN_EXISTS, "red", T), True),
    "list-inverted": (exp.Eq(exp.ListGetByValue(None, COUNT, "red", T, inverted=True), 1), True),
    "list-index-range": (exp.Eq(exp.ListGetByIndexRange(None, VALUE, 1, 1, T), ["blue"]), True),
    "list-value-range": (exp.Eq(exp.ListGetByValueRange(None, COUNT, "a", "c", T), 1), True),
    "list-rank-range": (exp.Eq(exp.ListGetByRankRange(None, VALUE, 0, 1, T), ["blue"]), True),
    "list-rank-of-index": (
        exp.Eq(
            exp.ListGetByIndex(None, aerospike.LIST_RETURN_RANK, exp.ResultType.INTEGER, 0, T), 1
        ),
        True,
    ),
    "list-out-of-range": (
        exp.Eq(exp.ListGetByIndex(None, VALUE, exp.ResultType.STRING, 9, T), "red"),
        False,
    ),
    "list-value-rel-rank": (
        exp.Eq(exp.ListGetByValueRelRankRange(None, COUNT, "c", 0, 5, T), 2),
        True,
    ),
    "map-key-rel-index": (
        exp.Eq(exp.MapGetByKeyRelIndexRange(None, aerospike.MAP_RETURN_KEY, "b", 0, 5, M), ["b"]),
        True,
    ),
    "map-key-range": (exp.Eq(exp.MapGetByKeyRange(None, COUNT, "a", "b", M), 1), True),
    "map-index": (
        exp.Eq(exp.MapGetByIndex(None, aerospike.MAP_RETURN_KEY, exp.ResultType.STRING, 1, M), "b"),
        True,
    ),
    "ctx-map-key-then-list": (
        exp.Eq(
            exp.ListGetByIndex(
                [cdt_ctx.cdt_ctx_map_key("a")], VALUE, exp.ResultType.INTEGER, -1, exp.MapBin("n")
            ),
            3,
        ),
        True,
    ),
    "ctx-nested-map": (
        exp.Eq(
            exp.MapGetByKey(
                [cdt_ctx.cdt_ctx_map_key("b")],
                aerospike.MAP_RETURN_VALUE,
                exp.ResultType.INTEGER,
                "c",
                exp.MapBin("n"),
            ),
            5,
        ),
        True,
    ),
    "ctx-missing": (
        exp.Eq(exp.MapSize([cdt_ctx.cdt_ctx_map_key("zz")], exp.MapBin("n")), 0),
        False,
    ),
    "map-key-list": (
        exp.Eq(
            exp.MapGetByKeyList(None, aerospike.MAP_RETURN_COUNT, ["a", "z"], exp.MapBin("m")), 1
        ),
        True,
    ),
}


@pytest.mark.parametrize("name", list(FILTERS))
def test_filter_evaluation(client: Any, stored: Key, name: str) -> None:
    _check_filter(client, stored, *FILTERS[name], BINS)


def _check_filter(client: Any, key: Key, expression: Any, passes: bool, bins: Any) -> None:
    """A get with ``expression`` reads ``bins`` if the record passes, else answers 27."""
    policy = _expr_policy(expression.compile())
    if passes:
        assert client.get(key, policy=policy)[2] == bins
    else:
        with pytest.raises(ex.FilteredOut):
            client.get(key, policy=policy)


K = aerospike.KeyOrderedDict
ORDERED_BINS: dict[str, Any] = {
    "m": {"a": 1, "b": 2},
    "k": K({"b": 2, "a": 1}),
    "e": {},
    "l": [1, {"a": 1}],
    "kl": [1, K({"a": 1})],
}
# (expression, whether the record passes): msgpack_cmp marks every non-empty map it reaches
# without the key-ordered flag, and a comparison that reached one is unknown (exp.c
# cmp_msgpack); a plain dict is unordered, in a bin and in an expression alike
MAP_COMPARES: dict[str, tuple[Any, bool]] = {
    "unordered-eq": (exp.Eq(exp.MapBin("m"), {"a": 1, "b": 2}), False),
    "unordered-ne": (exp.NE(exp.MapBin("m"), {"a": 1, "b": 2}), False),
    "unordered-ne-other": (exp.NE(exp.MapBin("m"), {"a": 9}), False),
    "unordered-bin-ordered-literal": (exp.Eq(exp.MapBin("m"), K({"a": 1, "b": 2})), False),
    "ordered-bin-unordered-literal": (exp.Eq(exp.MapBin("k"), {"a": 1, "b": 2}), False),
    "ordered-eq": (exp.Eq(exp.MapBin("k"), K({"a": 1, "b": 2})), True),
    "ordered-ne": (exp.NE(exp.MapBin("k"), K({"a": 1, "b": 2})), False),
    "ordered-fewer-entries": (exp.GT(exp.MapBin("k"), K({"z": 1})), True),
    "ordered-lower-key": (exp.GT(exp.MapBin("k"), K({"a": 1, "a0": 0})), True),
    "ordered-vs-empty": (exp.GT(exp.MapBin("k"), {}), True),
    "empty-eq-empty": (exp.Eq(exp.MapBin("e"), {}), True),
    "list-with-unordered-map": (exp.Eq(exp.ListBin("l"), [1, {"a": 1}]), False),
    "differs-before-the-map": (exp.LT(exp.ListBin("l"), [2, {"a": 1}]), True),
    "list-with-ordered-map": (exp.Eq(exp.ListBin("kl"), [1, K({"a": 1})]), True),
}


@pytest.mark.parametrize("name", list(MAP_COMPARES))
def test_map_comparison_needs_key_ordered_maps(client: Any, key: Key, name: str) -> None:
    client.put(key, ORDERED_BINS)
    _check_filter(client, key, *MAP_COMPARES[name], ORDERED_BINS)


def test_digest_modulo(client: Any, stored: Key) -> None:
    expected = _digest_mod(stored, 7)
    client.get(stored, policy=_expr_policy(exp.Eq(exp.DigestMod(7), expected).compile()))
    with pytest.raises(ex.FilteredOut):
        client.get(stored, policy=_expr_policy(exp.NE(exp.DigestMod(7), expected).compile()))


def test_set_name(client: Any, stored: Key) -> None:
    client.get(stored, policy=_expr_policy(exp.Eq(exp.SetName(), stored[1]).compile()))


def test_a_record_written_without_its_key_fails_a_key_filter(client: Any, key: Key) -> None:
    client.put(key, {"i": 1})  # digest only
    regex = exp.CmpRegex(aerospike.REGEX_NONE, "^k.*", exp.KeyStr()).compile()
    with pytest.raises(ex.FilteredOut):
        client.get(key, policy=_expr_policy(regex))
    with pytest.raises(ex.FilteredOut):
        client.get(key, policy=_expr_policy(exp.KeyExists().compile()))


# (stored string, regex, selected): glibc's regexec in the C locale, no REG_NEWLINE
_POSIX_REGEX = {
    "a byte is a dot": ("é", "^..$", True),  # "é" is two bytes in UTF-8
    "a character is not": ("é", "^.$", False),
    "end anchor: the end of the string": ("k\n", "^k\n$", True),
    "not before a final newline": ("k\n", "^k$", False),
}


@pytest.mark.parametrize("case", list(_POSIX_REGEX))
@pytest.mark.parametrize("target", ["key", "bin"])
def test_a_regex_runs_as_a_nodes_posix_regexec(
    client: Any, make_key: Callable[[Any], Key], case: str, target: str
) -> None:
    string, regex, selected = _POSIX_REGEX[case]
    key = make_key(string)
    client.put(key, {"s": string}, policy=SEND_KEY)
    subject = exp.KeyStr() if target == "key" else exp.StrBin("s")
    policy = _expr_policy(exp.CmpRegex(aerospike.REGEX_EXTENDED, regex, subject).compile())
    if selected:
        assert client.get(key, policy=policy)[2] == {"s": string}
    else:
        with pytest.raises(ex.FilteredOut):
            client.get(key, policy=policy)


def test_list_membership_on_a_record_without_the_list_is_false(client: Any, key: Key) -> None:
    client.put(key, {"i": 1})
    member = exp.GT(
        exp.ListGetByValue(None, aerospike.LIST_RETURN_COUNT, "red", exp.ListBin("t")), 0
    )
    with pytest.raises(ex.FilteredOut):
        client.get(key, policy=_expr_policy(member.compile()))


def _deadline_filter(now_ms: int) -> Any:
    """The store's exact-expiry filter: no deadline, or a deadline in the future."""
    return exp.Or(exp.Not(exp.BinExists("d")), exp.GT(exp.IntBin("d"), now_ms)).compile()


def test_the_stores_deadline_filter(client: Any, make_key: Callable[[Any], Key]) -> None:
    now_ms = int(time.time() * 1000)
    keys = [make_key(f"d{i}") for i in range(3)]
    client.put(keys[0], {"v": 0})  # no deadline
    client.put(keys[1], {"v": 1, "d": now_ms + 60_000})  # live
    client.put(keys[2], {"v": 2, "d": now_ms - 1})  # past its deadline
    policy = _expr_policy(_deadline_filter(now_ms))
    assert client.get(keys[0], policy=policy)[2] == {"v": 0}
    assert client.get(keys[1], policy=policy)[2]["v"] == 1
    with pytest.raises(ex.FilteredOut):
        client.get(keys[2], policy=policy)
    rows = client.batch_read(keys, policy=policy).batch_records
    assert [r.result for r in rows] == [0, 0, 27]
    assert rows[2].record is None or rows[2].record[2] is None


# -- batches -------------------------------------------------------------------


def test_a_filtered_batch_read_marks_rows_27_and_missing_keys_2(
    client: Any, make_key: Callable[[Any], Key]
) -> None:
    keys = [make_key("b0"), make_key("b1"), make_key("missing")]
    client.put(keys[0], {"i": 5})
    client.put(keys[1], {"i": 6})
    rows = client.batch_read(keys, policy=_expr_policy(TRUE)).batch_records
    assert [r.result for r in rows] == [0, 27, 2]
    assert rows[0].record[2] == {"i": 5}
    assert rows[1].record is None or rows[1].record[2] is None


def test_a_filtered_batch_remove_keeps_the_filtered_records(
    client: Any, make_key: Callable[[Any], Key]
) -> None:
    keys = [make_key("r0"), make_key("r1")]
    client.put(keys[0], {"i": 5})
    client.put(keys[1], {"i": 6})
    rows = client.batch_remove(keys, policy_batch=_expr_policy(TRUE)).batch_records
    assert [r.result for r in rows] == [0, 27]
    with pytest.raises(ex.RecordNotFound):
        client.get(keys[0])
    assert client.get(keys[1])[2] == {"i": 6}


def test_batch_write_and_operate_rows_with_their_own_filters(
    client: Any, make_key: Callable[[Any], Key]
) -> None:
    keys = [make_key("w0"), make_key("w1"), make_key("w2")]
    for k in keys:
        client.put(k, {"i": 5})
    batch = br.BatchRecords(
        [
            br.Write(keys[0], [op.write("z", 1)], policy=_expr_policy(TRUE)),
            br.Write(keys[1], [op.write("z", 1)], policy=_expr_policy(FALSE)),
            br.Read(keys[2], [op.read("i")], policy=_expr_policy(FALSE)),
        ]
    )
    rows = client.batch_write(batch).batch_records
    assert [r.result for r in rows] == [0, 27, 27]
    assert client.get(keys[0])[2] == {"i": 5, "z": 1}
    assert client.get(keys[1])[2] == {"i": 5}


def test_a_rows_filter_wins_over_the_batch_filter(
    client: Any, make_key: Callable[[Any], Key]
) -> None:
    keys = [make_key("o0"), make_key("o1")]
    for k in keys:
        client.put(k, {"i": 5})
    batch = br.BatchRecords(
        [
            br.Write(keys[0], [op.write("z", 1)], policy=_expr_policy(TRUE)),
            br.Write(keys[1], [op.write("z", 1)]),
        ]
    )
    rows = client.batch_write(batch, policy_batch=_expr_policy(FALSE)).batch_records
    assert [r.result for r in rows] == [0, 27]


# -- expression operations -------------------------------------------------------


def test_expression_read_of_record_metadata(client: Any, key: Key) -> None:
    client.put(key, {"v": 1}, policy={"ttl": 100})
    ops = [
        eo.expression_read("ttl", exp.TTL().compile()),
        eo.expression_read("since", exp.SinceUpdateTime().compile()),
        eo.expression_read("lut", exp.LastUpdateTime().compile()),
        eo.expression_read("void", exp.VoidTime().compile()),
        eo.expression_read("kx", exp.KeyExists().compile()),
        eo.expression_read("set", exp.SetName().compile()),
    ]
    _, _, bins = client.operate(key, ops)
    assert bins["ttl"] in (99, 100)
    assert 0 <= bins["since"] < 60_000
    now_ns = time.time_ns()
    assert abs(bins["lut"] - now_ns) < 60 * 10**9
    assert abs((bins["void"] - bins["lut"]) / 1e9 - 100) <= 1
    assert bins["kx"] is False
    assert bins["set"] == key[1]


def test_expression_read_of_a_never_expiring_record(client: Any, key: Key) -> None:
    client.put(key, {"v": 1}, policy={"ttl": aerospike.TTL_NEVER_EXPIRE})
    ops = [
        eo.expression_read("ttl", exp.TTL().compile()),
        eo.expression_read("void", exp.VoidTime().compile()),
    ]
    assert client.operate(key, ops)[2] == {"ttl": -1, "void": -1}


def test_expression_read_values(client: Any, stored: Key) -> None:
    ops = [
        eo.expression_read("n", exp.Add(exp.IntBin("i"), 41).compile()),
        eo.expression_read("l", exp.ListBin("t").compile()),
        eo.expression_read("c", exp.Cond(exp.BinExists("s"), "yes", "no").compile()),
    ]
    assert client.operate(stored, ops)[2] == {"n": 46, "l": ["red", "blue", "red"], "c": "yes"}


def test_expression_read_that_cannot_evaluate(client: Any, stored: Key) -> None:
    with pytest.raises(ex.OpNotApplicable):
        client.operate(stored, [eo.expression_read("x", exp.IntBin("nobin").compile())])
    no_fail = eo.expression_read(
        "x", exp.IntBin("nobin").compile(), aerospike.EXP_READ_EVAL_NO_FAIL
    )
    assert client.operate(stored, [no_fail])[2] == {"x": None}


def test_expression_write_stores_the_value(client: Any, key: Key) -> None:
    client.put(key, {"v": 1})
    write = eo.expression_write("v", exp.Add(exp.IntBin("v"), 41).compile())
    client.operate(key, [write])
    assert client.get(key)[2] == {"v": 42}


@pytest.mark.parametrize(
    ("flags", "bin_name", "code"),
    [
        (aerospike.EXP_WRITE_CREATE_ONLY, "v", 6),
        (aerospike.EXP_WRITE_UPDATE_ONLY, "new", 17),
        (aerospike.EXP_WRITE_CREATE_ONLY | aerospike.EXP_WRITE_POLICY_NO_FAIL, "v", 0),
    ],
)
def test_expression_write_bin_policies(
    client: Any, key: Key, flags: int, bin_name: str, code: int
) -> None:
    client.put(key, {"v": 1})
    write = eo.expression_write(bin_name, exp.Val(7).compile(), flags)
    if code:
        with pytest.raises(ex.AerospikeError) as info:
            client.operate(key, [write])
        assert info.value.code == code
    else:
        client.operate(key, [write])
    assert client.get(key)[2] == {"v": 1}
