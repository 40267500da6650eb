"""Unsupported features answer an error and are logged: never a silent success."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import aerospike
import pytest
from aerospike import exception as ex
from aerospike_helpers import expressions as exp
from aerospike_helpers.batch import records as br
from aerospike_helpers.operations import list_operations as lo

from aerospike_cache.server import EmbeddedServer

KEY = ("test", "unsupported", "k")


@pytest.fixture
def server_and_client() -> Iterator[tuple[EmbeddedServer, Any]]:
    with EmbeddedServer() as server:
        client = aerospike.client(server.config)
        try:
            client.put(KEY, {"l": [1], "i": 1})
            yield server, client
        finally:
            client.close()


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c: c.operate(KEY, [lo.list_append("l", 2)]), id="cdt-op"),
        pytest.param(lambda c: c.apply(KEY, "mod", "fn", []), id="udf"),
        pytest.param(
            lambda c: c.get(KEY, policy={"expressions": exp.Eq(exp.IntBin("i"), 1).compile()}),
            id="filter-expression",
        ),
        pytest.param(
            lambda c: (
                c.query("test", "unsupported").where(aerospike.predicates.equals("i", 1)).results()
            ),
            id="sindex-query",
        ),
    ],
)
def test_unsupported_answers_an_error(
    server_and_client: tuple[EmbeddedServer, Any], call: Any, caplog: Any
) -> None:
    server, client = server_and_client
    with (
        caplog.at_level(logging.WARNING, logger="aerospike_cache.server"),
        pytest.raises(ex.AerospikeError) as info,
    ):
        call(client)
    assert info.value.code in (4, 16)
    assert server.unsupported_requests
    assert "not support" in caplog.text
    assert client.get(KEY)[2] == {"l": [1], "i": 1}


def test_unsupported_op_in_a_batch_row(server_and_client: tuple[EmbeddedServer, Any]) -> None:
    _server, client = server_and_client
    rows = client.batch_write(br.BatchRecords([br.Write(KEY, [lo.list_append("l", 2)])]))
    assert [r.result for r in rows.batch_records] == [16]
    assert client.get(KEY)[2]["l"] == [1]
