"""Flask-Caching's @cache.memoize under a stampede, in decorator mode: 50 threads, 4 processes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.stampede_worker import VALUE, flask_app, memoized, run_processes


def test_fifty_threads_in_four_processes_compute_once(
    aerospike_server: Any, aerospike_set: str, tmp_path: Path
) -> None:
    log = tmp_path / "computations.log"
    log.touch()
    hosts = ",".join(f"{h[0]}:{h[1]}" for h in aerospike_server.hosts)
    app, cache = flask_app(hosts, aerospike_server.namespace, aerospike_set)
    report = memoized(cache, str(log))
    with app.app_context():
        # Flask-Caching keeps a version key per memoized function, made by its
        # first use; processes that all find it missing would each make their
        # own (Flask-Caching's race, before any value is read). Make it now.
        report.make_cache_key(report.uncached, "cold")  # type: ignore[attr-defined]
    values = run_processes(
        "flask", aerospike_server, aerospike_set, "cold", str(log), [13, 13, 12, 12]
    )
    assert values == [VALUE] * 50
    assert len(log.read_text().splitlines()) == 1
