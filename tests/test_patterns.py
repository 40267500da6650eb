"""Glob -> server regex: proven against ``fnmatch.fnmatchcase`` with the C library's
POSIX regex engine in the C locale, which is what an Aerospike node runs
(``regcomp``/``regexec`` in ``as/src/base/exp.c``, no ``setlocale``)."""

from __future__ import annotations

import ctypes
import ctypes.util
import fnmatch
import locale
import random
import sys
from collections.abc import Callable, Iterator

import pytest

from aerospike_cache.patterns import KeyPattern, compile_glob

REG_EXTENDED = 1  # glibc's value, and aerospike.REGEX_EXTENDED

# Characters that stress the translation: glob and ERE metacharacters, a
# newline, multi-byte UTF-8 (2, 3 and 4 bytes), range endpoints around them.
ALPHABET = "ab-z]![^\\.*?()+{}|$\n\t\x01\x7féü€𝄞:"
KEY_ALPHABET = "ab-z]![^\\.()+{}|$\n\x7féü€𝄞:"


def _posix_matcher() -> Callable[[str, str], bool]:
    libc_name = ctypes.util.find_library("c")
    if not sys.platform.startswith("linux") or libc_name is None:
        pytest.skip("needs glibc's regcomp/regexec, the engine of a Linux Aerospike node")
    libc = ctypes.CDLL(libc_name)
    compiled: dict[str, ctypes.Array[ctypes.c_char]] = {}

    def match(regex: str, key: str) -> bool:
        buf = compiled.get(regex)
        if buf is None:
            buf = ctypes.create_string_buffer(512)  # > sizeof(regex_t)
            rc = libc.regcomp(buf, regex.encode("utf-8"), REG_EXTENDED)
            assert rc == 0, f"regcomp refused {regex!r}: {rc}"
            compiled[regex] = buf
        return bool(libc.regexec(buf, key.encode("utf-8"), 0, None, 0) == 0)

    return match


@pytest.fixture(scope="module")
def posix_match() -> Iterator[Callable[[str, str], bool]]:
    before = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")  # the server's locale: bytes, not characters
    try:
        yield _posix_matcher()
    finally:
        locale.setlocale(locale.LC_CTYPE, before)


def _cases(seed: int, count: int) -> Iterator[tuple[str, str]]:
    rng = random.Random(seed)
    for _ in range(count):
        pattern = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 7)))
        for _ in range(4):
            key = "".join(rng.choice(KEY_ALPHABET) for _ in range(rng.randint(0, 5)))
            yield pattern, key
            yield pattern, _instance(rng, pattern)


def _instance(rng: random.Random, pattern: str) -> str:
    """A key shaped by the pattern (wildcards filled at random): often a match."""
    out = []
    for i, c in enumerate(pattern):
        if c == "*":
            out.append("".join(rng.choice(KEY_ALPHABET) for _ in range(rng.randint(0, 3))))
        elif c in "?[":
            out.append(rng.choice(pattern[i + 1 :] + KEY_ALPHABET))
        else:
            out.append(c)
    return "".join(out)


def _check(posix_match: Callable[[str, str], bool], pat: KeyPattern, key: str) -> None:
    expected = fnmatch.fnmatchcase(key, pat.glob)
    assert pat.matches(key) == expected
    if pat.never:
        assert not expected
        return
    server = posix_match(pat.regex, key)
    if expected:
        assert server, f"server regex {pat.regex!r} misses {key!r} (glob {pat.glob!r})"
    elif pat.exact or key.isascii():
        assert not server, f"server regex {pat.regex!r} matches {key!r} (glob {pat.glob!r})"


@pytest.mark.parametrize("seed", range(4))
def test_generated_globs_agree_with_fnmatchcase(
    posix_match: Callable[[str, str], bool], seed: int
) -> None:
    for glob, key in _cases(seed, 2500):
        _check(posix_match, compile_glob(glob), key)


@pytest.mark.parametrize(
    ("glob", "matching", "not_matching"),
    [
        ("*", ["", "a", "\n", "𝄞x"], []),
        ("a?c", ["abc", "a\nc", "aéc", "a𝄞c"], ["ac", "abbc", "aééc"]),
        ("[!a]", ["b", "é", "]", "\n"], ["a", "", "bb"]),
        ("[]-]", ["]", "-"], ["[", "a"]),
        ("[!]-]", ["a", "é"], ["]", "-"]),
        ("[a-]", ["a", "-"], ["b"]),
        ("[z-a]", [], ["z", "a", ""]),
        ("[!z-a]", ["q", "é"], [""]),
        # fnmatch's own reading once the empty range is dropped: "!x" negates, "!" is any
        ("[z-a!x]", ["!", "q", "é"], ["x", ""]),
        ("[z-a!]", ["!", "q", "é"], [""]),
        ("[z-a-c]", ["-", "c"], ["a", "b", "z"]),
        ("[[]x", ["[x"], ["x"]),
        ("[", ["["], [""]),
        ("a[", ["a["], ["a"]),
        ("[\\]", ["\\"], ["]"]),
        ("[é-ü]x", ["éx", "üx", "ñx"], ["ex", "x"]),
        ("[a-é]", ["a", "z", "é", "ß"], ["ü", "A"]),
        ("*.{1}(x)|$^+", ["ab.{1}(x)|$^+"], ["ab.{1}(x)|$^"]),
        ("\\w\\s\\n", ["\\w\\s\\n"], ["ws\n", "a b\n"]),
        ("x\n*", ["x\n", "x\nyz"], ["x", "xy"]),
        ("**a**", ["a", "bab"], ["b"]),
    ],
)
def test_globs(
    posix_match: Callable[[str, str], bool],
    glob: str,
    matching: list[str],
    not_matching: list[str],
) -> None:
    pat = compile_glob(glob)
    for key in matching:
        assert fnmatch.fnmatchcase(key, glob), key  # the table itself is right
        _check(posix_match, pat, key)
    for key in not_matching:
        assert not fnmatch.fnmatchcase(key, glob), key
        _check(posix_match, pat, key)


@pytest.mark.parametrize("prefix", ["app:1:", "a[b]*?:", "é.^$\\", ""])
def test_prefix_is_literal(posix_match: Callable[[str, str], bool], prefix: str) -> None:
    pat = compile_glob("k*", prefix)
    assert posix_match(pat.regex, prefix + "key")
    assert pat.matches(prefix + "key")
    assert not pat.matches("key") or not prefix
    assert not posix_match(pat.regex, "X" + prefix + "key")
    if "*" in prefix:  # a glob character in the prefix is not a wildcard
        other = prefix.replace("*", "Q")
        assert not posix_match(pat.regex, other + "key")
        assert not pat.matches(other + "key")


def test_exact_patterns_are_flagged() -> None:
    assert compile_glob("user:*:[0-9]").exact
    assert compile_glob("[éa]").exact
    assert not compile_glob("user:?").exact
    assert not compile_glob("[!a]").exact
    assert not compile_glob("[a-é]").exact


def test_nul_never_reaches_the_server() -> None:
    # Keys holding a NUL are stored as blobs, which a regex on the string key never sees.
    assert compile_glob("a\x00*").never
    assert compile_glob("*", "p\x00").never


def test_match_all() -> None:
    assert compile_glob("*", "p:").match_all
    assert compile_glob("***").match_all
    assert not compile_glob("").match_all
    assert not compile_glob("a*").match_all


def test_not_a_string() -> None:
    with pytest.raises(TypeError, match="must be a str"):
        compile_glob(b"a*")  # type: ignore[arg-type]
