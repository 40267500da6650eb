"""Unsupported features answer an error and are logged: never a silent success.

These tests need to see the embedded server's log and its ``unsupported_requests``
list, so they start their own server (they do not touch a real cluster).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import aerospike
import pytest
from aerospike import exception as ex
from aerospike_helpers import cdt_ctx
from aerospike_helpers import expressions as exp
from aerospike_helpers.batch import records as br
from aerospike_helpers.operations import bitwise_operations as bo
from aerospike_helpers.operations import expression_operations as eo
from aerospike_helpers.operations import hll_operations as ho
from aerospike_helpers.operations import list_operations as lo
from aerospike_helpers.operations import operations as op

from aerospike_cache.server import EmbeddedServer

from . import _wire

KEY = ("test", "unsupported", "k")
KEY2 = ("test", "unsupported", "k2")
BINS = {"l": [1], "i": 1, "b": bytearray(b"\x00\x01"), "m": {"a": 1}}


@pytest.fixture
def server_and_client() -> Iterator[tuple[EmbeddedServer, Any]]:
    with EmbeddedServer() as server:
        client = aerospike.client(server.config)
        try:
            client.put(KEY, BINS)
            client.put(KEY2, BINS)
            yield server, client
        finally:
            client.close()


def _transaction(c: Any) -> None:
    txn = aerospike.Transaction()
    c.put(KEY, {"t": 1}, policy={"txn": txn})
    c.commit(txn)


@pytest.mark.parametrize(
    ("call", "codes"),
    [
        pytest.param(lambda c: c.operate(KEY, [lo.list_append("l", 2)]), (16,), id="cdt-modify"),
        pytest.param(
            lambda c: c.operate(KEY, [lo.list_get_by_index("l", 0, aerospike.LIST_RETURN_VALUE)]),
            (16,),
            id="cdt-list-read",
        ),
        pytest.param(lambda c: c.operate(KEY, [bo.bit_get("b", 0, 8)]), (16,), id="bit-read"),
        pytest.param(lambda c: c.operate(KEY, [ho.hll_add("h", ["a"], 8)]), (16,), id="hll"),
        pytest.param(
            lambda c: c.operate(
                KEY, [eo.expression_read("x", exp.BitCount(0, 8, exp.BlobBin("b")).compile())]
            ),
            (16,),
            id="expression-bit-read",
        ),
        pytest.param(
            lambda c: c.get(
                KEY, policy={"expressions": exp.GT(exp.HLLGetCount(exp.HLLBin("h")), 0).compile()}
            ),
            (16,),
            id="expression-hll",
        ),
        pytest.param(
            lambda c: c.get(
                KEY,
                policy={
                    "expressions": exp.GT(
                        exp.ListSize(None, exp.ListAppend(None, None, 2, exp.ListBin("l"))), 0
                    ).compile()
                },
            ),
            (16,),
            id="expression-cdt-modify",
        ),
        pytest.param(
            lambda c: c.get(
                KEY,
                policy={
                    "expressions": exp.CmpGeo(
                        exp.GeoBin("g"), aerospike.GeoJSON({"type": "Point", "coordinates": [0, 0]})
                    ).compile()
                },
            ),
            (16,),
            id="expression-geo",
        ),
        pytest.param(
            lambda c: c.get(
                KEY,
                policy={
                    "expressions": exp.Eq(
                        exp.SelectByPath(
                            [cdt_ctx.cdt_ctx_list_index(0)],
                            exp.ResultType.INTEGER,
                            0,
                            exp.ListBin("l"),
                        ),
                        1,
                    ).compile()
                },
            ),
            (16,),
            id="expression-path",
        ),
        pytest.param(lambda c: c.apply(KEY, "mod", "fn", []), (16,), id="udf"),
        pytest.param(
            lambda c: (
                c.query("test", "unsupported").where(aerospike.predicates.equals("i", 1)).results()
            ),
            (16,),
            id="sindex-query",
        ),
        pytest.param(_transaction, (16,), id="transaction"),
        # a Community Edition server answers 25 (enterprise only)
        pytest.param(
            lambda c: c.remove(KEY, policy={"durable_delete": True}), (25,), id="durable-delete"
        ),
    ],
)
def test_unsupported_answers_an_error(
    server_and_client: tuple[EmbeddedServer, Any], call: Any, codes: tuple[int, ...], caplog: Any
) -> None:
    server, client = server_and_client
    with (
        caplog.at_level(logging.WARNING, logger="aerospike_cache.server"),
        pytest.raises(ex.AerospikeError) as info,
    ):
        call(client)
    assert info.value.code in codes
    assert server.unsupported_requests
    assert "not support" in caplog.text
    assert client.get(KEY)[2] == BINS


def test_unsupported_op_in_a_batch_row(server_and_client: tuple[EmbeddedServer, Any]) -> None:
    # two keys: the client sends a one-key batch as a single-record command
    server, client = server_and_client
    batch = br.BatchRecords(
        [br.Write(KEY, [lo.list_append("l", 2)]), br.Write(KEY2, [op.write("i", 2)])]
    )
    rows = client.batch_write(batch).batch_records
    assert [r.result for r in rows] == [16, 0]
    assert server.counters["batch"] == 1
    assert client.get(KEY)[2]["l"] == [1]
    assert client.get(KEY2)[2]["i"] == 2


def test_unsupported_info_command_is_an_error(
    server_and_client: tuple[EmbeddedServer, Any], caplog: Any
) -> None:
    server, _client = server_and_client
    with caplog.at_level(logging.WARNING, logger="aerospike_cache.server"):
        answer = _wire.info(server.host, server.port, "truncate-undo:namespace=test;set=s")
    assert answer.startswith("truncate-undo:namespace=test;set=s\tERROR:4:")
    assert "truncate-undo:namespace=test;set=s" in server.unknown_info_commands
    assert "not supported" in caplog.text


def test_login_gets_security_not_enabled(caplog: Any) -> None:
    """A client configured with a user still connects, as to a Community server."""
    with (
        caplog.at_level(logging.WARNING, logger="aerospike_cache.server"),
        EmbeddedServer() as server,
    ):
        client = aerospike.client({"hosts": server.hosts, "user": "u", "password": "p"})
        try:
            client.put(KEY, {"a": 1})
            assert client.get(KEY)[2] == {"a": 1}
        finally:
            client.close()
        assert any("security" in r for r in server.unsupported_requests)
        assert server.unknown_info_commands == []
    assert "not support" in caplog.text
