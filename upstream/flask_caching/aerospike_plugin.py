"""pytest plugin of ours for Flask-Caching's own tests (``-p aerospike_plugin``).

Flask-Caching's ``conftest.py`` builds every ``app`` with ``CACHE_TYPE =
"SimpleCache"``; this plugin points those apps at our backend instead, right
after their fixture made them (their files stay unmodified). Tests that name
another backend themselves keep it. Each test starts on an empty set, as it
would on a fresh SimpleCache. Their ``clock`` fixture (a fake clock advanced
by seconds to an hour) drives our store's expiry as it drives SimpleCache's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aerospike_env import flask_cache_kwargs, flask_config
from not_applicable import FLASK_CACHING, FLASK_CACHING_OTHER_BACKENDS

from aerospike_cache.flask import AerospikeCache

SET = "upstream_flask"
_OTHER_SERVERS = {"redis_server", "memcache_server"}  # their fixtures for other backends
_DEFAULT_BACKEND = "SimpleCache"  # what their conftest's ``app`` fixture configures


_switched: list[str] = []  # the tests whose app now runs on our backend


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: pytest.FixtureRequest) -> Iterator[None]:
    outcome = yield
    if fixturedef.argname == "app":
        app = outcome.get_result()
        if app.config.get("CACHE_TYPE") == _DEFAULT_BACKEND:
            app.config.update(flask_config(SET))
            _switched.append(request.node.nodeid)
    elif fixturedef.argname == "clock":
        # Their fake clock replaces ``time`` in cachelib's modules. Our caches of
        # one configuration share one store (aerospike_cache.store.shared), whose
        # ``clock`` decides expiry: the same fake clock goes there, through their
        # fixture's monkeypatch (undone after the test).
        store = request.getfixturevalue("_aerospike_set").store
        request.getfixturevalue("monkeypatch").setattr(store, "clock", outcome.get_result())


def pytest_terminal_summary(terminalreporter: Any) -> None:
    terminalreporter.write_line(f"{len(_switched)} tests ran their app on aerospike_cache")
    if not _switched:
        terminalreporter.write_line(
            f"error: no app fixture configured {_DEFAULT_BACKEND!r}, so nothing ran on our "
            "backend: update _DEFAULT_BACKEND in upstream/flask_caching/aerospike_plugin.py"
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # If their conftest stopped configuring SimpleCache, nothing would run on
    # ours and everything would still pass: make that a failure.
    if exitstatus == 0 and session.testscollected and not _switched:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect what cannot apply (see not_applicable.py) and other backends' tests."""
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        other = any(name in item.nodeid.lower() for name in FLASK_CACHING_OTHER_BACKENDS) or (
            _OTHER_SERVERS & set(getattr(item, "fixturenames", ()))
        )
        (dropped if other or item.nodeid in FLASK_CACHING else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(scope="session")
def _aerospike_set() -> Iterator[AerospikeCache]:
    cache = AerospikeCache(**flask_cache_kwargs(SET))
    yield cache
    cache.clear()


@pytest.fixture(autouse=True)
def _empty_aerospike_set(_aerospike_set: AerospikeCache) -> None:
    _aerospike_set.clear()
