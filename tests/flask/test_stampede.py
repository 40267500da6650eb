"""Flask-Caching's decorators under a stampede, in decorator mode: 50 threads in 4 processes.

The cache starts cold: for ``@memoize`` that includes the function's version
key, which concurrent first callers would each make their own of (and so
compute under different cache keys) were it not created once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.stampede_worker import VALUE, run_processes


@pytest.mark.parametrize("decorator", ["memoize", "cached"])
def test_fifty_threads_in_four_processes_compute_once_on_a_cold_cache(
    aerospike_server: Any, aerospike_set: str, tmp_path: Path, decorator: str
) -> None:
    log = tmp_path / "computations.log"
    log.touch()
    values = run_processes(
        decorator, aerospike_server, aerospike_set, "cold", str(log), [13, 13, 12, 12]
    )
    assert values == [VALUE] * 50
    assert len(log.read_text().splitlines()) == 1
