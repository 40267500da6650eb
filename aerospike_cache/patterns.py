"""Glob patterns (``fnmatch``) as regular expressions the Aerospike server can run.

An Aerospike node filters keys with ``CmpRegex``, which hands the pattern to
the C library's ``regcomp``/``regexec`` (``as/src/base/exp.c``). The server
never calls ``setlocale``, so it runs in the C locale: POSIX extended
regular expressions matched byte by byte over the key's UTF-8 encoding.
The client sends the pattern as a UTF-8 ``str``, cut at the first NUL.

That shapes the translation:

* ``*`` is ``.*``: without ``REG_NEWLINE``, ``.`` also matches a newline.
* A literal is the character itself, with the ERE metacharacters
  ``.[]()*+?{}|^$\\`` escaped by a backslash (no other escapes: glibc reads
  ``\\w``, ``\\s``, ``\\b``... as operators, and ``\\n`` as ``n``).
* ``?`` and ``[!...]`` match one *character*, which is one to four bytes.
  A byte class can only be written with bytes of valid UTF-8, and none of
  them names the continuation bytes alone, so a non-ASCII character is
  matched by a run of non-ASCII bytes: a superset. For those patterns
  :attr:`KeyPattern.exact` is false and the caller re-checks every
  candidate with :func:`fnmatch.fnmatchcase` (:meth:`KeyPattern.matches`);
  on ASCII keys the expression is exact for every pattern.

Only the flag ``REGEX_EXTENDED`` is used: the client's ``REGEX_NEWLINE``
(8) and ``REGEX_NOSUB`` (4) are the BSD values, and a Linux server passes
them to glibc, where 4 is ``REG_NEWLINE`` and 8 ``REG_NOSUB``.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Final

# Characters with a meaning in a POSIX ERE outside a bracket expression.
_ERE_META: Final = frozenset(".[]()*+?{}|^$\\")
# Characters kept out of bracket expressions: their meaning there differs
# between POSIX (a backslash is literal) and engines that emulate it.
_BRACKET_UNSAFE: Final = frozenset("]\\^-[")
# One non-ASCII byte in the C locale (0x01 and 0x7f are written as themselves).
_HIGH_RUN: Final = "[^\x01-\x7f]+"
_ANY_CHAR: Final = f"(.|{_HIGH_RUN})"


@dataclass(frozen=True)
class KeyPattern:
    """A glob over cache keys and its server-side regular expression.

    ``prefix`` is literal (a key prefix, never read as a glob); ``glob`` is
    matched against the rest of the key as :func:`fnmatch.fnmatchcase` does.
    """

    prefix: str
    glob: str
    regex: str
    """POSIX ERE (``REGEX_EXTENDED``) over the whole stored key."""
    exact: bool
    """The regex alone selects exactly the matching keys (else: re-check with :meth:`matches`)."""
    never: bool
    """No key can match (an empty ``[z-a]`` class): nothing needs asking."""

    def matches(self, key: str) -> bool:
        """Exactly :func:`fnmatch.fnmatchcase` on the part of ``key`` after the prefix."""
        return (
            not self.never
            and key.startswith(self.prefix)
            and fnmatch.fnmatchcase(key[len(self.prefix) :], self.glob)
        )

    @property
    def match_all(self) -> bool:
        """True when every key with the prefix matches (the glob is ``*``)."""
        return self.glob.strip("*") == "" and self.glob != ""


def compile_glob(glob: str, prefix: str = "") -> KeyPattern:
    """Translate ``glob`` (after a literal ``prefix``) into a :class:`KeyPattern`."""
    if not isinstance(glob, str) or not isinstance(prefix, str):
        raise TypeError(f"a key pattern must be a str, got {type(glob).__name__} {glob!r}")
    parts = ["^", "".join(_literal(c) for c in prefix)]
    exact, never = True, "\x00" in prefix
    i, n = 0, len(glob)
    while i < n:
        c = glob[i]
        i += 1
        if c == "*":
            if parts[-1] != ".*":
                parts.append(".*")
        elif c == "?":
            parts.append(_ANY_CHAR)
            exact = False
        elif c == "[":
            end = _bracket_end(glob, i)
            if end < 0:
                parts.append(_literal("["))
                continue
            regex, set_exact, empty = _bracket(glob, i, end)
            parts.append(regex)
            exact = exact and set_exact
            never = never or empty
            i = end + 1
        else:
            # Keys holding a NUL are stored as blobs, which CmpRegex never sees.
            never = never or c == "\x00"
            parts.append(_literal(c))
    parts.append("$")
    return KeyPattern(prefix, glob, "".join(parts), exact, never)


def _literal(c: str) -> str:
    return "\\" + c if c in _ERE_META else c


def _bracket_end(glob: str, i: int) -> int:
    """Index of the ``]`` closing the class opened before ``i`` (fnmatch's rule), or -1."""
    j = i
    n = len(glob)
    if j < n and glob[j] == "!":
        j += 1
    if j < n and glob[j] == "]":
        j += 1
    while j < n and glob[j] != "]":
        j += 1
    return j if j < n else -1


def _chunks(glob: str, i: int, end: int) -> list[str]:
    """The class body split at range hyphens, empty ranges removed (as fnmatch does)."""
    if "-" not in glob[i:end]:
        return [glob[i:end]]
    chunks: list[str] = []
    k = i + 2 if glob[i] == "!" else i + 1
    while True:
        k = glob.find("-", k, end)
        if k < 0:
            break
        chunks.append(glob[i:k])
        i = k + 1
        k = k + 3
    last = glob[i:end]
    if last:
        chunks.append(last)
    else:
        chunks[-1] += "-"
    for k in range(len(chunks) - 1, 0, -1):
        if chunks[k - 1][-1] > chunks[k][0]:
            chunks[k - 1] = chunks[k - 1][:-1] + chunks[k][1:]
            del chunks[k]
    return chunks


def _bracket(glob: str, i: int, end: int) -> tuple[str, bool, bool]:
    """``(regex, exact, empty)`` for the class ``glob[i:end]``."""
    chunks = _chunks(glob, i, end)
    stuff = "-".join(chunks)
    if not stuff:
        return "", True, True
    if stuff == "!":
        return _ANY_CHAR, False, False
    negated = stuff[0] == "!"
    if negated:
        chunks[0] = chunks[0][1:]
        if not chunks[0] and len(chunks) > 1:  # "[^-x...]": that hyphen is literal
            chunks = ["-" + chunks[1], *chunks[2:]]
    members: set[int] = set()
    wide = False  # a range reaching past ASCII
    for k, chunk in enumerate(chunks):
        members.update(map(ord, chunk))
        if k:
            lo, hi = ord(chunks[k - 1][-1]), ord(chunk[0])
            members.update(range(lo, min(hi, 0x7F) + 1))
            wide = wide or hi > 0x7F
    if negated:
        # One character not in the class: an ASCII one outside it, or any
        # non-ASCII one (a run of high bytes: a superset, re-checked).
        outside = [c for c in range(1, 0x80) if c not in members]
        return _alternatives([*_ascii_class(outside), _HIGH_RUN]), False, False
    alternatives = _ascii_class(sorted(m for m in members if 0 < m < 0x80))
    alternatives += [chr(m) for m in sorted(members) if m >= 0x80]
    if wide:
        alternatives.append(_HIGH_RUN)
    if not alternatives:
        return "", True, True
    return _alternatives(alternatives), not wide, False


def _alternatives(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + "|".join(parts) + ")"


def _ascii_class(codes: list[int]) -> list[str]:
    """Alternatives matching one of the ASCII ``codes``: one bracket expression
    of the plain characters, and each awkward character escaped on its own
    (inside brackets POSIX reads a backslash literally, other engines do not).
    """
    plain = [c for c in codes if chr(c) not in _BRACKET_UNSAFE]
    parts = ["[" + _runs(plain) + "]"] if plain else []
    parts += [_literal(chr(c)) for c in codes if chr(c) in _BRACKET_UNSAFE]
    return parts


def _runs(codes: list[int]) -> str:
    out: list[str] = []
    start = prev = -2
    for c in [*codes, -5]:
        if c == prev + 1:
            prev = c
            continue
        if start >= 0:
            if prev - start >= 2:
                out.append(f"{chr(start)}-{chr(prev)}")
            else:
                out.append("".join(chr(x) for x in range(start, prev + 1)))
        start = prev = c
    return "".join(out)
