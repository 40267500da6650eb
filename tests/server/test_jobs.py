"""Background query jobs and ``job_info`` (``aerospike-cluster-and-expressions.md``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import aerospike
import pytest
from aerospike import exception as ex
from aerospike_helpers import expressions as exp
from aerospike_helpers.operations import expression_operations as eo
from aerospike_helpers.operations import operations as op

from .conftest import Key

N = 10


def _fill(client: Any, make_key: Callable[[Any], Key]) -> list[Key]:
    keys = [make_key(i) for i in range(N)]
    for i, k in enumerate(keys):
        client.put(k, {"i": i}, policy={"ttl": 1000})
    return keys


def _wait(client: Any, job_id: int) -> dict[str, int]:
    """Poll ``job_info`` until the job completed (a real node throttles jobs)."""
    deadline = time.monotonic() + 60
    while True:
        info: dict[str, int] = client.job_info(job_id, aerospike.JOB_QUERY)
        if info["status"] == aerospike.JOB_STATUS_COMPLETED or time.monotonic() > deadline:
            return info
        time.sleep(0.05)


def _run(client: Any, ns: str, set_name: str, ops: list[Any], **policy: Any) -> dict[str, int]:
    query = client.query(ns, set_name)
    ttl = policy.pop("ttl", None)
    if ttl is not None:
        query.ttl = ttl
    query.add_ops(ops)
    return _wait(client, query.execute_background(policy or None))


def _upper_half() -> Any:
    return exp.GE(exp.IntBin("i"), N // 2).compile()


def test_a_background_delete_with_a_filter(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    keys = _fill(client, make_key)
    info = _run(client, ns, aerospike_set, [op.delete()], expressions=_upper_half())
    assert info["status"] == aerospike.JOB_STATUS_COMPLETED
    assert info["progress_pct"] == 100
    assert info["records_read"] == N // 2
    left = [k for k in keys if client.exists(k)[1] is not None]
    assert left == keys[: N // 2]


def test_a_background_touch_writes_the_querys_ttl(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    keys = _fill(client, make_key)
    _run(client, ns, aerospike_set, [op.touch()], ttl=50, expressions=_upper_half())
    ttls = [client.get(k)[1]["ttl"] for k in keys]
    assert all(t > 900 for t in ttls[: N // 2])
    assert all(49 <= t <= 50 for t in ttls[N // 2 :])


def test_background_increment_and_write(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    keys = _fill(client, make_key)
    _run(client, ns, aerospike_set, [op.increment("i", 100), op.write("w", "x")])
    assert [client.get(k)[2] for k in keys] == [{"i": i + 100, "w": "x"} for i in range(N)]


def test_a_background_expression_write(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    keys = _fill(client, make_key)
    double = eo.expression_write("d", exp.Mul(exp.IntBin("i"), 2).compile())
    _run(client, ns, aerospike_set, [double], expressions=_upper_half())
    bins = [client.get(k)[2] for k in keys]
    assert bins[0] == {"i": 0}
    assert bins[N - 1] == {"i": N - 1, "d": 2 * (N - 1)}


def test_a_throttled_job_still_covers_every_record(
    client: Any, ns: str, aerospike_set: str, make_key: Callable[[Any], Key]
) -> None:
    keys = _fill(client, make_key)
    query = client.query(ns, aerospike_set)
    query.records_per_second = 1000
    query.add_ops([op.write("w", 1)])
    info = _wait(client, query.execute_background())
    assert info["records_read"] == N
    assert all(client.get(k)[2]["w"] == 1 for k in keys)


def test_an_unknown_job_reads_as_completed(client: Any) -> None:
    info = client.job_info(123456789, aerospike.JOB_QUERY)
    assert info["status"] == aerospike.JOB_STATUS_COMPLETED


def test_a_read_op_in_a_background_query_is_refused_by_the_client(
    client: Any, ns: str, aerospike_set: str
) -> None:
    query = client.query(ns, aerospike_set)
    query.add_ops([op.read("i")])
    with pytest.raises(ex.ParamError) as info:
        query.execute_background()
    assert info.value.code == -2
