"""Django's get_or_set under a stampede: 50 threads in 4 processes on one cold key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.stampede_worker import VALUE, run_processes


def test_fifty_threads_in_four_processes_compute_once(
    aerospike_server: Any, aerospike_set: str, tmp_path: Path
) -> None:
    log = tmp_path / "computations.log"
    log.touch()
    values = run_processes(
        "django", aerospike_server, aerospike_set, "cold", str(log), [13, 13, 12, 12]
    )
    assert values == [VALUE] * 50
    assert len(log.read_text().splitlines()) == 1
