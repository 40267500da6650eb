"""The load task's reading of wrk's report (benchmarks/http_load.py), on a recorded one.

The report below is wrk 4.1's (Debian's package) with benchmarks/wrk_paths.lua,
recorded against the Flask example over ``/`` and a page that does not exist
(so that half the answers are 404s). The task runs wrk itself in CI
(``tasks.py load --quick``); this pins the parsing of what it prints.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "http_load", Path(__file__).resolve().parents[2] / "benchmarks" / "http_load.py"
)
assert _spec is not None and _spec.loader is not None
http_load = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("http_load", http_load)  # its dataclasses look their module up
_spec.loader.exec_module(http_load)

REPORT = """\
Running 2s test @ http://127.0.0.1:46273
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.26ms  762.56us  16.50ms   94.86%
    Req/Sec     1.56k   353.20     1.80k    87.80%
  Latency Distribution
     50%    1.14ms
     75%    1.29ms
     90%    1.53ms
     99%    4.02ms
  6347 requests in 2.10s, 6.66MB read
  Non-2xx or 3xx responses: 3174
  Socket errors: connect 0, read 2, write 0, timeout 1
Requests/sec:   3022.10
Transfer/sec:      3.17MB
x-cache hits 3173 misses 0
second 1796525014 answers 1946 non2xx 973 hits 973 misses 0
second 1796525016 answers 1038 non2xx 519 hits 519 misses 0
second 1796525015 answers 3363 non2xx 1682 hits 1681 misses 0
"""


def test_wrk_report_is_read_into_figures() -> None:
    result = http_load.parse_wrk(REPORT)
    assert result.requests == 6347
    assert result.rps == pytest.approx(3022.10)
    assert (result.p50_ms, result.p99_ms, result.max_ms) == pytest.approx((1.14, 4.02, 16.5))
    assert (result.non2xx, result.socket_errors) == (3174, 3)
    assert (result.hits, result.misses, result.hit_ratio) == (3173, 0, 1.0)
    assert result.seconds[1796525015] == (3363, 1682, 1681, 0)
    assert sum(answers for answers, *_ in result.seconds.values()) == result.requests


@pytest.mark.parametrize(
    ("text", "ms"),
    [("762.56us", 0.76256), ("4.02ms", 4.02), ("1.50s", 1500.0), ("2.00m", 120000.0)],
)
def test_wrk_durations(text: str, ms: float) -> None:
    assert http_load._ms(text) == pytest.approx(ms)


def test_a_report_without_answers_has_no_hit_ratio() -> None:
    result = http_load.parse_wrk("  0 requests in 1.00s, 0B read\nRequests/sec:      0.00\n")
    assert (result.requests, result.rps, result.hit_ratio) == (0, 0.0, None)
