"""Filter expressions and expression operations: the wire format and its evaluation.

An expression travels as msgpack (wire field 43 for a filter; the value of an
``expression_read``/``expression_write`` op). Each node is an array whose first
element is an op code (``aerospike-server`` ``as/src/base/exp.c``); values are
msgpack scalars, maps, and quoted lists (``[126, [...]]``), strings and blobs
with their particle type byte in front (see :mod:`._msgpack`).

:func:`compile_expr` turns the wire bytes into a Python closure once (and
caches it), answering 4 (``ExprError``) for a malformed expression and 16
(``UnsupportedError``) for a valid one this server does not evaluate. The
closure runs against a :class:`Subject` (a record's metadata and bins) and
answers a Python value or :data:`UNKNOWN`: as on a real node, a missing bin, a
bin of another type, a missing key or a division by zero make the expression
"unknown", which a filter treats as false.
"""

from __future__ import annotations

import functools
import math
import operator
import re
from collections.abc import Callable
from typing import Any

from . import _msgpack as mp
from . import _protocol as p
from ._cdt import call_cdt, compile_cdt
from ._protocol import UnsupportedError
from ._values import UNKNOWN, ExprError, UnorderedMapError, msgpack_cmp, order_key

__all__ = [
    "UNKNOWN",
    "ExprError",
    "Filter",
    "Subject",
    "compile_expr",
    "compile_filter",
    "matches",
    "order_key",
]

#: a compiled expression: subject -> value (or UNKNOWN)
Fn = Callable[["Subject"], Any]
#: a filter's key part: reads only ``.key`` of what it is given (a subject or a
#: record), answers True, False or UNKNOWN
KeyFn = Callable[[Any], Any]


class Subject:
    """What an expression reads: one record's metadata, bins and the clock."""

    __slots__ = (
        "bins",
        "digest",
        "key",
        "lut",
        "now",
        "set_name",
        "vars",
        "void_time",
    )

    def __init__(
        self,
        digest: bytes,
        bins: dict[bytes, tuple[int, bytes]],
        key: bytes | None,
        set_name: bytes,
        void_time: int,
        lut: int,
        now: int,
    ) -> None:
        self.digest = digest
        self.bins = bins
        self.key = key
        self.set_name = set_name
        self.void_time = void_time
        self.lut = lut
        self.now = now
        self.vars: dict[bytes, Any] = _NO_VARS  # a let binds on a copy

    def size(self) -> int:
        """The record's stored size, as the ``record_size`` expression answers it."""
        from ._capacity import flat_size, stored

        return stored(flat_size(self.bins, self.key, self.set_name, self.void_time))


_NO_VARS: dict[bytes, Any] = {}


# -- entry points ------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def compile_expr(data: bytes) -> Fn:
    """Compile an expression's wire bytes (cached: batches repeat one filter)."""
    return compile_node(_tree(data))


class Filter:
    """A compiled filter expression: call it on a subject (true lets the record through).

    A walk over many records reads it in two parts, each None when empty:
    ``on_key``, the leading arguments of an And at the root that test nothing
    but the stored key (or the whole filter when it reads nothing else),
    which answers True (passed), False or :data:`UNKNOWN`; then ``rest``,
    which fails the record when it answers False or :data:`UNKNOWN`. The key
    part reads only ``.key`` of its argument, so a walk can hand it a record.
    """

    __slots__ = ("_run", "key_bytes", "on_key", "rest")

    def __init__(
        self,
        run: Fn,
        on_key: KeyFn | None,
        rest: Fn | None,
        key_bytes: Callable[[bytes | None], bool] | None = None,
    ) -> None:
        self._run = run
        self.on_key = on_key
        self.rest = rest
        #: the key part as a test of the stored key's bytes (True: passed), when
        #: it is one typed key test or an Or of two (see _key_bytes); else None
        self.key_bytes = key_bytes

    def __call__(self, s: Subject) -> Any:
        return self._run(s)


@functools.lru_cache(maxsize=256)
def compile_filter(data: bytes) -> Filter:
    """Compile a filter expression (only ever read through :func:`matches`).

    An And at the root stops at its first argument that is false or unknown:
    either way the filter fails, so the rest need not run (the pattern
    filters put the cheap key test first and the live test second).
    """
    tree = _tree(data)
    if not isinstance(tree, list) or len(tree) < 3 or tree[0] != 16:
        fn = compile_node(tree)

        def judged(s: Subject) -> bool:
            return verdict(fn(s))

        if _reads_key_only(tree):
            return Filter(fn, judged, None, _key_bytes(tree))
        return Filter(fn, None, judged)
    args = tree[1:]
    fns = _args(args, 1)
    n_key = 0
    while n_key < len(args) and _tests_key(args[n_key]):
        n_key += 1
    on_key = _all_of(fns[:n_key]) if n_key else None
    rest = _all_of(fns[n_key:]) if n_key < len(fns) else None
    key_bytes = _key_bytes(args[0]) if n_key == 1 else None
    return Filter(_all_of(fns), on_key, rest, key_bytes)


def _key_bytes(node: Any) -> Callable[[bytes | None], bool] | None:
    """A key test as a test of the stored key's bytes, True when it passes: one
    typed key test (see :func:`_key_test`), or an Or/And of two that need
    different key types (:func:`_key_tests`); None for anything else."""
    if isinstance(node, list) and len(node) == 3 and node[0] in (16, 17):
        first, second = _key_test(node[1]), _key_test(node[2])
        if first is None or second is None or first[0] == second[0]:
            return None
        if node[0] == 16:  # an And of two: unknown or false on every key
            return lambda _key: False
        tests = dict([first, second])
    else:
        one = _key_test(node)
        if one is None:
            return None
        tests = dict([one])

    def passes(key: bytes | None) -> bool:
        if key:
            test = tests.get(key[0])
            if test is not None and test(key[1:]):
                return True
        return False

    return passes


def _all_of(fns: list[Fn]) -> Fn:
    """A root And's arguments: false when one is false or unknown (and stops there).

    One argument is returned as it is: the walk checks for false or unknown.
    """
    if len(fns) == 1:
        return fns[0]

    def run(s: Subject) -> bool:
        for fn in fns:
            v = fn(s)
            if v is False or v is UNKNOWN:
                return False
        return True

    return run


#: op codes whose value depends on their arguments alone: comparisons, regex, logic
_KEY_ONLY_OPS = frozenset({1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19})
_KEY_READS = frozenset({71, 80})  # KeyExists, the stored key


def _tests_key(node: Any) -> bool:
    """Whether a node is a test (true, false or unknown) of the stored key alone."""
    if not isinstance(node, list) or not node:
        return False
    return node[0] == 71 or (node[0] in _KEY_ONLY_OPS and _reads_key_only(node))


def _reads_key_only(node: Any) -> bool:
    """Whether a node of the wire tree reads nothing of the record but its stored key."""
    if not isinstance(node, list):
        return True  # a literal
    if not node or type(node[0]) is not int:
        return False
    code = node[0]
    if code in _KEY_READS or code == 126:  # 126: a quoted list, a literal
        return True
    return code in _KEY_ONLY_OPS and all(_reads_key_only(a) for a in node[1:])


def _tree(data: bytes) -> Any:
    try:
        return mp.unpack(data, particles=False, keep_flags=True)
    except mp.MsgpackError as exc:
        raise ExprError(f"malformed expression: {exc}") from None


def matches(filter_fn: Fn, subject: Subject) -> bool:
    """A filter passes only when it evaluates to true (unknown filters out)."""
    return verdict(filter_fn(subject))


def verdict(result: Any) -> bool:
    """Whether a filter's result lets the record through (:func:`matches`)."""
    if type(result) is not bool:
        if result is UNKNOWN:
            return False
        raise ExprError(f"a filter must be boolean, not {type(result).__name__}")
    return result


def to_particle(value: Any) -> tuple[int, bytes] | None:
    """A value as a bin (particle type, bytes); None for nil (no bin)."""
    if value is None:
        return None
    t = type(value)
    if t is bool:
        return p.PT_BOOL, b"\x01" if value else b"\x00"
    if t is int:
        return p.PT_INTEGER, p.I64.pack(value)
    if t is float:
        return p.PT_FLOAT, p.F64.pack(value)
    if t is mp.Geo:
        return p.PT_GEOJSON, b"\x00\x00\x00" + value.encode()
    if t is str:
        return p.PT_STRING, value.encode("utf-8", "surrogateescape")
    if t is bytes:
        return p.PT_BLOB, value
    if isinstance(value, list):
        return p.PT_LIST, mp.pack(value)
    if isinstance(value, dict):  # with its flags: a key-ordered map stays one
        return p.PT_MAP, mp.pack(value)
    raise ExprError(f"an expression cannot produce a {t.__name__}")


def from_particle(ptype: int, raw: bytes) -> Any:
    """A stored bin's value as the evaluator sees it."""
    if ptype == p.PT_INTEGER:
        return p.I64.unpack(raw)[0]
    if ptype == p.PT_FLOAT:
        return p.F64.unpack(raw)[0]
    if ptype == p.PT_STRING:
        return raw.decode("utf-8", "surrogateescape")
    if ptype == p.PT_BOOL:
        return raw != b"\x00"
    if ptype in (p.PT_LIST, p.PT_MAP):
        return mp.unpack(raw, keep_flags=True)
    if ptype == p.PT_GEOJSON:
        # flags (1) + ncells (2) + cells (8 each) + the JSON text
        ncells = int.from_bytes(raw[1:3], "big")
        return mp.Geo(raw[3 + 8 * ncells :].decode("utf-8", "replace"))
    return raw


# -- compiling ---------------------------------------------------------------


def compile_node(node: Any) -> Fn:
    """Compile one node of the decoded expression tree."""
    if isinstance(node, list):
        if not node or type(node[0]) is not int:
            raise ExprError("an expression node must start with an op code")
        code = node[0]
        builder = _BUILDERS.get(code)
        if builder is None:
            what = _UNSUPPORTED.get(code)
            if what is not None:
                raise UnsupportedError(f"expression {what} (op {code})")
            raise ExprError(f"unknown expression op {code}")
        return builder(node[1:])
    value = literal(node)
    return lambda _s: value


def literal(node: Any) -> Any:
    """A literal value of the wire tree (string-family values by particle type)."""
    if isinstance(node, bytes):
        return mp.particle_value(node)
    if isinstance(node, list):
        return [literal(v) for v in node]
    if isinstance(node, dict):
        out = {literal(k): literal(v) for k, v in node.items()}
        return mp.FlaggedMap(node.flags, out) if type(node) is mp.FlaggedMap else out
    return node


def _args(args: list[Any], low: int, high: int | None = None) -> list[Fn]:
    n = len(args)
    if n < low or (high is not None and n > high):
        raise ExprError(f"wrong number of expression arguments: {n}")
    return [compile_node(a) for a in args]


def _name(arg: Any) -> bytes:
    if not isinstance(arg, bytes):
        raise ExprError("expected a name")
    return arg


# -- comparisons and logic ---------------------------------------------------

_CMP: dict[int, Callable[[Any, Any], bool]] = {
    1: operator.eq,
    2: operator.ne,
    3: operator.gt,
    4: operator.ge,
    5: operator.lt,
    6: operator.le,
}


def _kind(v: Any) -> type:
    """A value's type, a flagged list or map counted as a list or map."""
    if isinstance(v, list):
        return list
    if isinstance(v, dict):
        return dict
    return type(v)


def _build_compare(code: int) -> Callable[[list[Any]], Fn]:
    cmp = _CMP[code]

    def build(args: list[Any]) -> Fn:
        if len(args) == 2 and not isinstance(args[1], (list, dict)):
            constant = literal(args[1])
            if constant is not None:
                return _compare_constant(cmp, args[0], constant)
        left, right = _args(args, 2, 2)

        def run(s: Subject) -> Any:
            a = left(s)
            if a is UNKNOWN:
                return UNKNOWN
            b = right(s)
            if b is UNKNOWN:
                return UNKNOWN
            ta, tb = _kind(a), _kind(b)
            if ta is not tb:
                return UNKNOWN
            if ta is list or ta is dict:
                try:
                    return cmp(msgpack_cmp(a, b, refuse_unordered=True), 0)
                except UnorderedMapError:
                    return UNKNOWN
            if a is None:
                return cmp(order_key(a), order_key(b))
            return cmp(a, b)

        return run

    return build


def _compare_constant(cmp: Callable[[Any, Any], bool], node: Any, b: Any) -> Fn:
    """A comparison with a scalar literal (the common filter), a bin or key read fused in."""
    tb = type(b)
    left = compile_node(node)  # checks the node
    code = node[0] if isinstance(node, list) else None
    if code == 81:  # a bin of one type
        ptype, name = _EXP_TYPES[node[1]], node[2]
        decode = _decoder(ptype)

        def on_bin(s: Subject) -> Any:
            v = s.bins.get(name)
            if v is None or v[0] != ptype:
                return UNKNOWN
            a = decode(v[1])
            return cmp(a, b) if type(a) is tb else UNKNOWN

        return on_bin
    if code == 82 and tb is int:  # a bin's type (BinExists is BinType != 0)
        name, null = node[1], p.PT_NULL

        def on_type(s: Subject) -> Any:
            v = s.bins.get(name)
            return cmp(null if v is None else v[0], b)

        return on_type
    if code == 80:  # the stored key, of one type (KeyBlob() != b"" in pattern filters)
        want = _KEY_TYPES[node[1]]
        decode = _decoder(want)

        def on_key(s: Subject) -> Any:
            key = s.key
            a = decode(key[1:]) if key and key[0] == want else UNKNOWN
            return cmp(a, b) if type(a) is tb else UNKNOWN

        return on_key

    def run(s: Subject) -> Any:
        a = left(s)
        if type(a) is not tb:  # UNKNOWN included: its type is its own
            return UNKNOWN
        return cmp(a, b)

    return run


_REGEX_FLAGS = {1: 0, 2: re.IGNORECASE, 4: 0, 8: re.MULTILINE}  # POSIX cflags


def _build_regex(args: list[Any]) -> Fn:
    search = _regex_search(args)
    if args[2] == [80, 3]:  # on the stored string key: its bytes, no value in between
        string = p.PT_STRING

        def on_key(s: Subject) -> Any:
            key = s.key
            if not key or key[0] != string:
                return UNKNOWN
            return search(key[1:]) is not None

        return on_key
    target = compile_node(args[2])

    def run(s: Subject) -> Any:
        v = target(s)
        if type(v) is not str:
            return UNKNOWN
        return search(v.encode("utf-8", "surrogateescape")) is not None

    return run


def _regex_search(args: list[Any]) -> Callable[[bytes], Any]:
    """A regex compare's ``search``. A real node runs glibc's ``regexec`` in the C
    locale: byte by byte over the UTF-8 string (a ``.`` is one byte, case folds
    in ASCII only). A bytes pattern matched against bytes does the same."""
    if len(args) != 3 or type(args[0]) is not int or not isinstance(args[1], bytes):
        raise ExprError("regex compare needs options, a pattern and a string")
    flags = 0
    for bit, rflag in _REGEX_FLAGS.items():
        if args[0] & bit:
            flags |= rflag
    if not args[0] & 8:
        flags |= re.DOTALL  # without REG_NEWLINE, '.' and [^a] match a newline
    text = bytes(args[1]).decode("latin-1")  # one character per byte, back to bytes below
    if not args[0] & 1:
        text = _basic_to_python(text)
    if not args[0] & 8:
        text = _end_anchor(text)
    try:
        return re.compile(text.encode("latin-1"), flags).search
    except re.error as exc:
        raise ExprError(f"bad regular expression: {exc}") from None


def _end_anchor(pattern: str) -> str:
    """Without ``REG_NEWLINE`` a POSIX ``$`` matches only at the end of the string;
    Python's also matches before a final newline: write it ``\\Z``."""
    out = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "[":  # a bracket expression: "$" is literal there
            end = _bracket_close(pattern, i + 1)
            out.append(pattern[i:end])
            i = end
            continue
        out.append("\\Z" if c == "$" else c)
        i += 1
    return "".join(out)


def _bracket_close(pattern: str, i: int) -> int:
    """Index just after the bracket expression whose body starts at ``i``, as
    Python's ``re`` reads it (the engine that runs it here)."""
    n = len(pattern)
    if i < n and pattern[i] == "^":
        i += 1
    if i < n and pattern[i] == "]":  # first: a literal "]"
        i += 1
    while i < n and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return min(i + 1, n)


def _basic_to_python(pattern: str) -> str:
    """A POSIX basic regex (no ``REG_EXTENDED``): bare ``( ) { } | + ?`` are literals."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            n = pattern[i + 1]
            out.append(n if n in "(){}|+?" else c + n)
            i += 2
            continue
        out.append("\\" + c if c in "(){}|+?" else c)
        i += 1
    return "".join(out)


def _build_in_list(args: list[Any]) -> Fn:
    value, seq = _args(args, 2, 2)

    def run(s: Subject) -> Any:
        v, items = value(s), seq(s)
        if v is UNKNOWN or not isinstance(items, list):
            return UNKNOWN
        key = order_key(v)
        return any(order_key(x) == key for x in items)

    return run


def _build_logic(decisive: bool) -> Callable[[list[Any]], Fn]:
    """And (``decisive=False``) and Or (``True``): unknown unless some argument decides."""

    def build(args: list[Any]) -> Fn:
        fns = _args(args, 1)
        if len(fns) == 2:
            return _key_tests(decisive, args) or _logic2(decisive, *fns)

        def run(s: Subject) -> Any:
            result: Any = not decisive
            for fn in fns:
                v = fn(s)
                if v is decisive:
                    return decisive
                if v is UNKNOWN:
                    result = UNKNOWN
            return result

        return run

    return build


def _key_tests(decisive: bool, args: list[Any]) -> Fn | None:
    """And/Or of two tests of the stored key that need different key types (the
    store's patterns or a regex on a string key with a test of a blob key), or None.

    On a key of one type the other test is unknown, so the test of the key's
    type decides alone: Or is true when it is, else unknown; And is false when
    it is false, else unknown. One call instead of three.
    """
    first, second = _key_test(args[0]), _key_test(args[1])
    if first is None or second is None or first[0] == second[0]:
        return None
    (type_a, test_a), (type_b, test_b) = first, second
    passed, failed = (True, UNKNOWN) if decisive else (UNKNOWN, False)

    def run(s: Subject) -> Any:
        key = s.key
        if key:
            t = key[0]
            if t == type_a:
                return passed if test_a(key[1:]) else failed
            if t == type_b:
                return passed if test_b(key[1:]) else failed
        return UNKNOWN

    return run


def _key_test(node: Any) -> tuple[int, Callable[[bytes], Any]] | None:
    """``(key particle type, test of the key's bytes: truthy when it passes)`` of a
    test that is unknown on any other key: a regex on the string key, or a
    comparison of the key with a literal of its type. None for anything else."""
    if not isinstance(node, list) or not node:
        return None
    code = node[0]
    if code == 7 and len(node) == 4 and node[3] == [80, 3]:
        return p.PT_STRING, _regex_search(node[1:])  # a match object, or None
    if code not in _CMP or len(node) != 3 or isinstance(node[2], (list, dict)):
        return None
    read = node[1]
    if not isinstance(read, list) or len(read) != 2 or read[0] != 80:
        return None
    want = _KEY_TYPES.get(read[1])
    constant = literal(node[2])
    if want is None or type(constant) is not _KEY_VALUES[want]:
        return None
    cmp, decode = _CMP[code], _decoder(want)
    return want, lambda raw: cmp(decode(raw), constant)


def _logic2(decisive: bool, first: Fn, second: Fn) -> Fn:
    """And/Or of two arguments (what the client's helpers build), without a loop."""
    undecided = not decisive

    def run(s: Subject) -> Any:
        a = first(s)
        if a is decisive:
            return decisive
        b = second(s)
        if b is decisive:
            return decisive
        return UNKNOWN if a is UNKNOWN or b is UNKNOWN else undecided

    return run


def _build_not(args: list[Any]) -> Fn:
    (fn,) = _args(args, 1, 1)

    def run(s: Subject) -> Any:
        v = fn(s)
        return v if v is UNKNOWN else not v

    return run


def _build_exclusive(args: list[Any]) -> Fn:
    fns = _args(args, 2)

    def run(s: Subject) -> Any:
        seen = False
        for fn in fns:
            v = fn(s)
            if v is UNKNOWN:
                return UNKNOWN
            if v is True:
                if seen:
                    return False
                seen = True
        return seen

    return run


# -- arithmetic --------------------------------------------------------------


def _wrap(v: int) -> int:
    """int64 wrap-around, as C arithmetic on the server."""
    return (v + (1 << 63)) % (1 << 64) - (1 << 63)


def _tdiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _build_vargs(fold: Callable[[Any, Any], Any], low: int = 1) -> Callable[[list[Any]], Fn]:
    def build(args: list[Any]) -> Fn:
        fns = _args(args, low)

        def run(s: Subject) -> Any:
            acc = fns[0](s)
            if acc is UNKNOWN or type(acc) not in (int, float):
                return UNKNOWN
            for fn in fns[1:]:
                v = fn(s)
                if v is UNKNOWN or type(v) is not type(acc):
                    return UNKNOWN
                acc = fold(acc, v)
                if acc is UNKNOWN:
                    return UNKNOWN
            return _wrap(acc) if type(acc) is int else acc

        return run

    return build


def _div(a: Any, b: Any) -> Any:
    if type(a) is float:
        return a / b if b else math.copysign(math.inf, a) if a else math.nan
    return _tdiv(a, b) if b else UNKNOWN


def _build_sub(args: list[Any]) -> Fn:
    if len(args) == 1:  # unary minus
        (fn,) = _args(args, 1, 1)
        return lambda s: _unary(fn(s), lambda v: -v)
    return _build_vargs(lambda a, b: a - b, 2)(args)


def _build_div(args: list[Any]) -> Fn:
    if len(args) == 1:  # reciprocal
        (fn,) = _args(args, 1, 1)
        return lambda s: _unary(fn(s), lambda v: _div(type(v)(1), v))
    return _build_vargs(_div, 2)(args)


def _unary(v: Any, f: Callable[[Any], Any]) -> Any:
    if v is UNKNOWN or type(v) not in (int, float):
        return UNKNOWN
    r = f(v)
    return _wrap(r) if type(r) is int else r


def _build_unary(f: Callable[[Any], Any], kinds: tuple[type, ...]) -> Callable[[list[Any]], Fn]:
    def build(args: list[Any]) -> Fn:
        (fn,) = _args(args, 1, 1)

        def run(s: Subject) -> Any:
            v = fn(s)
            if v is UNKNOWN or type(v) not in kinds:
                return UNKNOWN
            r = f(v)
            return _wrap(r) if type(r) is int else r

        return run

    return build


def _build_binary(
    f: Callable[[Any, Any], Any], kinds: tuple[type, ...]
) -> Callable[[list[Any]], Fn]:
    def build(args: list[Any]) -> Fn:
        left, right = _args(args, 2, 2)

        def run(s: Subject) -> Any:
            a, b = left(s), right(s)
            if type(a) not in kinds or type(b) not in kinds:
                return UNKNOWN
            r = f(a, b)
            return _wrap(r) if type(r) is int else r

        return run

    return build


def _mod(a: int, b: int) -> Any:
    return a - b * _tdiv(a, b) if b else UNKNOWN


def _u64(v: int) -> int:
    return v & 0xFFFFFFFFFFFFFFFF


def _shift_right(a: int, n: int) -> int:
    return _u64(a) >> (n & 63)


def _scan(a: int, search: bool, from_left: bool) -> int:
    bits = format(_u64(a), "064b")
    want = "1" if search else "0"
    i = bits.find(want) if from_left else bits.rfind(want)
    return i


def _build_scan(from_left: bool) -> Callable[[list[Any]], Fn]:
    def build(args: list[Any]) -> Fn:
        value, search = _args(args, 2, 2)

        def run(s: Subject) -> Any:
            v, b = value(s), search(s)
            if type(v) is not int or type(b) is not bool:
                return UNKNOWN
            return _scan(v, b, from_left)

        return run

    return build


def _log(a: float, b: float) -> float:
    try:
        return math.log(a) / math.log(b)
    except (ValueError, ZeroDivisionError):
        return math.nan


def _pow(a: float, b: float) -> float:
    try:
        return float(a**b)
    except (OverflowError, ZeroDivisionError):
        return math.inf


def _to_int(v: float) -> int:
    if math.isnan(v):
        return 0
    if math.isinf(v):
        return (1 << 63) - 1 if v > 0 else -(1 << 63)
    return int(v)


# -- record metadata, keys and bins -------------------------------------------


def _meta(f: Callable[[Subject], Any]) -> Callable[[list[Any]], Fn]:
    def build(args: list[Any]) -> Fn:
        if args:
            raise ExprError("a metadata expression takes no argument")
        return f

    return build


def _ns_since_unix(ms_since_2010: int) -> int:
    return (ms_since_2010 + p.CITRUSLEAF_EPOCH_MS) * 1_000_000


def _ttl(s: Subject) -> int:
    if s.void_time == 0:
        return -1  # never expires: 0xFFFFFFFF as int32
    return max(1, s.void_time - s.now // 1000)


def _void_time(s: Subject) -> int:
    return -1 if s.void_time == 0 else (s.void_time + p.CITRUSLEAF_EPOCH) * 1_000_000_000


def _build_digest_mod(args: list[Any]) -> Fn:
    if len(args) != 1 or type(args[0]) is not int or args[0] <= 0:
        raise ExprError("digest modulo needs a positive integer")
    mod = args[0]
    return lambda s: int.from_bytes(s.digest[16:20], "little") % mod


#: expression value types (as_exp_type) -> particle types of a bin
_EXP_TYPES: dict[int, int] = {
    1: p.PT_BOOL,
    2: p.PT_INTEGER,
    3: p.PT_STRING,
    4: p.PT_LIST,
    5: p.PT_MAP,
    6: p.PT_BLOB,
    7: p.PT_FLOAT,
    8: p.PT_GEOJSON,
    9: p.PT_HLL,
}


#: key expression types -> the particle type of a stored key
_KEY_TYPES = {2: p.PT_INTEGER, 3: p.PT_STRING, 6: p.PT_BLOB}
_KEY_VALUES: dict[int, type] = {p.PT_INTEGER: int, p.PT_STRING: str, p.PT_BLOB: bytes}


def _build_rec_key(args: list[Any]) -> Fn:
    if len(args) != 1 or args[0] not in (2, 3, 6):
        raise ExprError("a key expression needs type int, string or blob")
    want = _KEY_TYPES[args[0]]
    decode = _decoder(want)

    def run(s: Subject) -> Any:
        key = s.key
        if not key or key[0] != want:
            return UNKNOWN
        return decode(key[1:])

    return run


def _build_bin(args: list[Any]) -> Fn:
    if len(args) != 2 or type(args[0]) is not int or args[0] not in _EXP_TYPES:
        raise ExprError("a bin expression needs a value type and a bin name")
    ptype = _EXP_TYPES[args[0]]
    name = _name(args[1])
    decode = _decoder(ptype)

    def run(s: Subject) -> Any:
        b = s.bins.get(name)
        if b is None or b[0] != ptype:
            return UNKNOWN
        return decode(b[1])

    return run


def _decoder(ptype: int) -> Callable[[bytes], Any]:
    """:func:`from_particle` for one particle type, the common ones without a call chain."""
    if ptype == p.PT_INTEGER:
        unpack = p.I64.unpack
        return lambda raw: unpack(raw)[0]
    if ptype == p.PT_STRING:
        return lambda raw: raw.decode("utf-8", "surrogateescape")
    if ptype == p.PT_BLOB:
        return bytes
    return functools.partial(from_particle, ptype)


def _build_bin_type(args: list[Any]) -> Fn:
    if len(args) != 1:
        raise ExprError("bin type needs a bin name")
    name = _name(args[0])

    def run(s: Subject) -> int:
        b = s.bins.get(name)
        return p.PT_NULL if b is None else b[0]

    return run


# -- control flow and variables -----------------------------------------------


def _build_cond(args: list[Any]) -> Fn:
    if len(args) < 3 or len(args) % 2 == 0:
        raise ExprError("cond needs condition/action pairs and a default")
    fns = [compile_node(a) for a in args]
    pairs = list(zip(fns[0:-1:2], fns[1:-1:2], strict=True))
    default = fns[-1]

    def run(s: Subject) -> Any:
        for cond, action in pairs:
            v = cond(s)
            if v is UNKNOWN:
                return UNKNOWN
            if v is True:
                return action(s)
        return default(s)

    return run


def _build_let(args: list[Any]) -> Fn:
    if len(args) < 3 or len(args) % 2 == 0:
        raise ExprError("let needs name/value pairs and a scope")
    defs = [(_name(args[i]), compile_node(args[i + 1])) for i in range(0, len(args) - 1, 2)]
    scope = compile_node(args[-1])

    def run(s: Subject) -> Any:
        saved = s.vars
        s.vars = dict(saved)
        try:
            for name, fn in defs:
                s.vars[name] = fn(s)
            return scope(s)
        finally:
            s.vars = saved

    return run


def _build_var(args: list[Any]) -> Fn:
    if len(args) != 1:
        raise ExprError("var needs a name")
    name = _name(args[0])

    def run(s: Subject) -> Any:
        try:
            return s.vars[name]
        except KeyError:
            raise ExprError(f"variable {name!r} is not defined") from None

    return run


def _build_quote(args: list[Any]) -> Fn:
    if len(args) != 1 or not isinstance(args[0], list):
        raise ExprError("a quoted value must be a list")
    value = literal(args[0])
    return lambda _s: value


def _build_call(args: list[Any]) -> Fn:
    if len(args) != 4 or type(args[0]) is not int or type(args[1]) is not int:
        raise ExprError("a call needs a result type, a system, its op and a bin")
    system = args[1]
    if system & 0x40:
        raise UnsupportedError("expression CDT/bit/HLL modify calls")
    if system in (1, 2):
        raise UnsupportedError("expression bit and HLL calls")
    if system != 0:  # 8.1 knows CDT, bits and HLL only (string calls are newer)
        raise ExprError(f"invalid call system {system}")
    op = compile_cdt(args[2], compile_node, literal)
    source = compile_node(args[3])
    return lambda s: call_cdt(op, source(s), s)


def _build_map_kv(values: bool) -> Callable[[list[Any]], Fn]:
    def build(args: list[Any]) -> Fn:
        (fn,) = _args(args, 1, 1)

        def run(s: Subject) -> Any:
            m = fn(s)
            if not isinstance(m, dict):
                return UNKNOWN
            items = sorted(m.items(), key=lambda kv: order_key(kv[0]))
            return [v if values else k for k, v in items]

        return run

    return build


_INT = (int,)
_FLOAT = (float,)
_NUM = (int, float)

_BUILDERS: dict[int, Callable[[list[Any]], Fn]] = {
    **{code: _build_compare(code) for code in _CMP},
    7: _build_regex,
    9: _build_in_list,
    16: _build_logic(False),
    17: _build_logic(True),
    18: _build_not,
    19: _build_exclusive,
    20: _build_vargs(lambda a, b: a + b),
    21: _build_sub,
    22: _build_vargs(lambda a, b: a * b),
    23: _build_div,
    24: _build_binary(_pow, _FLOAT),
    25: _build_binary(_log, _FLOAT),
    26: _build_binary(_mod, _INT),
    27: _build_unary(abs, _NUM),
    28: _build_unary(math.floor, _FLOAT),
    29: _build_unary(math.ceil, _FLOAT),
    30: _build_unary(_to_int, _FLOAT),
    31: _build_unary(float, _INT),
    32: _build_vargs(lambda a, b: a & b),
    33: _build_vargs(lambda a, b: a | b),
    34: _build_vargs(lambda a, b: a ^ b),
    35: _build_unary(lambda v: ~v, _INT),
    36: _build_binary(lambda a, n: a << (n & 63), _INT),
    37: _build_binary(_shift_right, _INT),
    38: _build_binary(lambda a, n: a >> (n & 63), _INT),
    39: _build_unary(lambda v: bin(_u64(v)).count("1"), _INT),
    40: _build_scan(True),
    41: _build_scan(False),
    50: _build_vargs(min),
    51: _build_vargs(max),
    64: _build_digest_mod,
    65: _meta(lambda s: 0),  # device size: 0 on a memory-only namespace
    66: _meta(lambda s: _ns_since_unix(s.lut)),
    67: _meta(lambda s: max(0, s.now - s.lut)),
    68: _meta(_void_time),
    69: _meta(_ttl),
    70: _meta(lambda s: s.set_name.decode("utf-8", "replace")),
    71: _meta(lambda s: s.key is not None),
    72: _meta(lambda s: False),  # no tombstones: deletes are not durable
    73: _meta(lambda s: s.size()),  # memory size (deprecated): the stored size
    74: _meta(lambda s: s.size()),
    80: _build_rec_key,
    81: _build_bin,
    82: _build_bin_type,
    101: _build_map_kv(False),
    102: _build_map_kv(True),
    123: _build_cond,
    124: _build_var,
    125: _build_let,
    126: _build_quote,
    127: _build_call,
}

#: op codes a real node knows that this server answers 16 to
_UNSUPPORTED = {
    8: "geospatial compare",
    100: "remove result",
    122: "loop variables (path expressions)",
    128: "path select",
    129: "path modify",
}
