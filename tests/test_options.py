"""The options table is the one source of the store's options and their defaults."""

from __future__ import annotations

import inspect

import pytest

from aerospike_cache import options
from aerospike_cache.errors import ConfigurationError
from aerospike_cache.store import AerospikeStore

STORE_PARAMS = {
    name: p
    for name, p in inspect.signature(AerospikeStore).parameters.items()
    if p.kind is inspect.Parameter.KEYWORD_ONLY
}


def test_every_option_is_a_store_keyword_and_nothing_else() -> None:
    assert sorted(STORE_PARAMS) == sorted(options.BY_NAME)


@pytest.mark.parametrize("opt", options.STORE_OPTIONS, ids=lambda o: o.name)
def test_the_store_default_is_the_tables(opt: options.Option) -> None:
    default = STORE_PARAMS[opt.name].default
    assert type(default) is type(opt.default) and default == opt.default


def test_validate_names_what_is_accepted() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown option 'nope'.*namespace"):
        options.validate({"nope": 1}, str, "here")
    with pytest.raises(ConfigurationError, match="'timeout_ms' in here must be int"):
        options.validate({"timeout_ms": "1"}, str, "here")
