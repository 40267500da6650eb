"""The README documents every option the code accepts, with its default.

The names come from the code (the store's option table, each frontend's
spelling of it, the Flask backend's own settings), never from a list kept
here, so an option added to the code without a README row fails this test.
The README's Python snippets must use real option names too.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from aerospike_cache import options
from aerospike_cache.django import cache as django_cache
from aerospike_cache.flask import cache as flask_cache
from aerospike_cache.flask import config as flask_config

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

# Django's own cache settings (django.core.cache.backends.base.BaseCache and
# the LOCATION every backend gets): Django has no table of them to import.
DJANGO_SETTINGS = ("LOCATION", "TIMEOUT", "KEY_PREFIX", "VERSION", "KEY_FUNCTION")

Row = dict[str, str]


def section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def tables(text: str) -> list[list[Row]]:
    """Every Markdown table of ``text``, as rows keyed by the header cells."""
    found: list[list[Row]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("|") and i + 1 < len(lines) and lines[i + 1].startswith("|---"):
            header = [c.strip() for c in lines[i].strip("|").split("|")]
            rows: list[Row] = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip("|").split("|")]
                assert len(cells) == len(header), f"ragged table row: {lines[i]}"
                rows.append(dict(zip(header, cells, strict=True)))
                i += 1
            found.append(rows)
        else:
            i += 1
    return found


def table_with(text: str, *columns: str, without: str = "") -> list[Row]:
    matching = [
        t
        for t in tables(text)
        if t and all(c in t[0] for c in columns) and not (without and without in t[0])
    ]
    assert len(matching) == 1, f"expected one table with columns {columns}, found {len(matching)}"
    return matching[0]


def code(cell: str) -> str | None:
    """The name in a cell written as a lone code span (`NAME`), else None."""
    m = re.fullmatch(r"`([^`]+)`", cell)
    return m.group(1) if m else None


def literals(cell: str) -> list[Any]:
    """The Python literals among a cell's code spans (`"cache"`, `None`, `1.0`)."""
    out = []
    for span in re.findall(r"`([^`]+)`", cell):
        try:
            out.append(ast.literal_eval(span))
        except (ValueError, SyntaxError):
            continue
    return out


def same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b  # 1 is not 1.0, False is not 0


OPTIONS_TEXT = section(README, "Options")
STORE_TABLE = table_with(OPTIONS_TEXT, "Django `OPTIONS`", "Flask setting", "Keyword", "Default")
DJANGO_TABLE = table_with(OPTIONS_TEXT, "Django", "Default")
FLASK_TABLE = table_with(
    OPTIONS_TEXT, "Flask setting", "Keyword", "Type", "Default", without="Django `OPTIONS`"
)


def flask_settings_in_code() -> set[str]:
    """Every Flask setting the backend reads: its tables, and every one its source mentions."""
    source = inspect.getsource(flask_cache) + inspect.getsource(flask_config)
    named = set(re.findall(r"\bCACHE_[A-Z_]*[A-Z]\b", source))
    return named | set(flask_config.valid_settings()) | set(flask_config.FRONTEND_SETTINGS.values())


# -- the option tables ------------------------------------------------------------


@pytest.mark.parametrize("opt", options.STORE_OPTIONS, ids=lambda o: o.name)
def test_every_store_option_has_a_row_with_its_names_and_default(opt: options.Option) -> None:
    django_name = django_cache.option_name(opt.name)
    rows = [r for r in STORE_TABLE if code(r["Django `OPTIONS`"]) == django_name]
    assert len(rows) == 1, f"README: no row (or several) for OPTIONS {django_name!r}"
    row = rows[0]
    assert code(row["Flask setting"]) == flask_config.config_key(opt.name)
    assert code(row["Keyword"]) == opt.name
    assert row["Type"] and row["Meaning"]
    documented = literals(row["Default"])
    if opt.name == "set_name":  # each frontend has its own default set
        expected = [django_cache.DEFAULT_SET, flask_cache.DEFAULT_SET]
    else:
        expected = [opt.default]
    for value in expected:
        assert any(same(value, d) for d in documented), (
            f"README: the default of {django_name} is {value!r}, the row says {row['Default']!r}"
        )


def test_the_store_table_rows_are_the_codes_options_in_its_order() -> None:
    documented = [code(r["Django `OPTIONS`"]) for r in STORE_TABLE]
    in_code = [django_cache.option_name(o.name) for o in options.STORE_OPTIONS]
    assert documented == in_code, "README: a row the code does not know, or out of order"


@pytest.mark.parametrize("name", DJANGO_SETTINGS)
def test_every_django_setting_has_a_row(name: str) -> None:
    rows = [r for r in DJANGO_TABLE if code(r["Django"]) == name]
    assert len(rows) == 1, f"README: no row for Django's {name}"
    assert rows[0]["Type"] and rows[0]["Default"] and rows[0]["Meaning"]


@pytest.mark.parametrize("name", sorted(flask_settings_in_code()))
def test_every_flask_setting_the_code_reads_is_documented(name: str) -> None:
    in_store_table = [r for r in STORE_TABLE if code(r["Flask setting"]) == name]
    in_flask_table = [r for r in FLASK_TABLE if code(r["Flask setting"]) == name]
    assert len(in_store_table) + len(in_flask_table) == 1, f"README: no row (or several) for {name}"


@pytest.mark.parametrize("keyword", sorted(flask_config.FRONTEND_SETTINGS))
def test_flask_settings_name_their_constructor_keyword_and_default(keyword: str) -> None:
    setting = flask_config.FRONTEND_SETTINGS[keyword]
    rows = [r for r in FLASK_TABLE if code(r["Flask setting"]) == setting]
    assert len(rows) == 1, f"README: no row (or several) for {setting} in the Flask table"
    row = rows[0]
    assert code(row["Keyword"]) == keyword
    default = inspect.signature(flask_cache.AerospikeCache).parameters[keyword].default
    if default is not None:  # None: unset (hosts, key_prefix), documented in words
        assert any(same(default, d) for d in literals(row["Default"])), (
            f"README: the default of {setting} is {default!r}, the row says {row['Default']!r}"
        )


# -- the snippets -----------------------------------------------------------------

NOT_LITERAL: Any = object()
"""A snippet value that is not a literal (``aerospike_server.namespace``): name checked only."""


def python_snippets(text: str) -> list[ast.Module]:
    return [ast.parse(block) for block in re.findall(r"```python\n(.*?)```", text, re.S)]


def _value(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return NOT_LITERAL


def snippet_django_options() -> list[dict[str, Any]]:
    """The ``"OPTIONS": {...}`` dicts of the README's snippets."""
    found = []
    for tree in python_snippets(README):
        for node in ast.walk(tree):
            if not isinstance(node, ast.Dict):
                continue
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "OPTIONS":
                    assert isinstance(value, ast.Dict)
                    opts: dict[str, Any] = {}
                    for k, v in zip(value.keys, value.values, strict=True):
                        assert isinstance(k, ast.Constant) and isinstance(k.value, str)
                        opts[k.value] = _value(v)
                    found.append(opts)
    return found


def snippet_flask_settings() -> list[dict[str, Any]]:
    """The ``CACHE_*=...`` keyword arguments of the README's snippets, call by call."""
    found = []
    for tree in python_snippets(README):
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                settings = {
                    kw.arg: _value(kw.value)
                    for kw in node.keywords
                    if kw.arg and kw.arg.startswith("CACHE_")
                }
                if settings:
                    found.append(settings)
    return found


def literal_only(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not NOT_LITERAL}


def test_the_snippets_are_found() -> None:
    assert len(snippet_django_options()) >= 2
    assert len(snippet_flask_settings()) >= 1


@pytest.mark.parametrize("opts", snippet_django_options())
def test_django_snippets_use_real_options(opts: dict[str, Any]) -> None:
    known = {django_cache.option_name(o.name) for o in options.STORE_OPTIONS}
    assert set(opts) <= known, f"README snippet uses unknown OPTIONS {sorted(set(opts) - known)}"
    options.validate(literal_only(opts), django_cache.option_name, "a README snippet")


@pytest.mark.parametrize("settings", snippet_flask_settings())
def test_flask_snippets_use_real_settings(settings: dict[str, Any]) -> None:
    unknown = set(settings) - flask_settings_in_code() - {"CACHE_TYPE"}
    assert not unknown, f"README snippet uses unknown Flask settings {sorted(unknown)}"
    if "CACHE_TYPE" in settings:
        assert settings["CACHE_TYPE"] == "aerospike_cache.flask.AerospikeCache"
    store = {k: v for k, v in literal_only(settings).items() if k in flask_config.valid_settings()}
    store.pop(flask_config.HOSTS_SETTING, None)
    options.validate(store, flask_config.config_key, "a README snippet")


# -- docs/flask.md ----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(flask_settings_in_code()))
def test_docs_flask_configuration_lists_every_flask_setting(name: str) -> None:
    text = section((ROOT / "docs" / "flask.md").read_text(encoding="utf-8"), "Configuration")
    rows = table_with(text, "Setting", "Default", "Meaning")
    assert [r for r in rows if code(r["Setting"]) == name], f"docs/flask.md: no row for {name}"
