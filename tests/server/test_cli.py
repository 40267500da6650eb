"""``python -m aerospike_cache.server`` as a subprocess."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import aerospike
import pytest
from aerospike import exception as ex

pytestmark = pytest.mark.embedded_only("the embedded server's command line")


def _start(*args: str) -> tuple[subprocess.Popen[str], str, int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "aerospike_cache.server", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"listening on (\S+):(\d+) \(namespaces: (.*)\)", line)
    if not match:
        proc.kill()
        raise AssertionError(f"unexpected first line {line!r}; stderr: {proc.communicate()[1]}")
    return proc, match.group(1), int(match.group(2))


def test_cli_serves_and_stops_on_sigterm() -> None:
    proc, host, port = _start("--namespace", "cache", "--namespace", "nonsup:nsup-period=0")
    try:
        client = aerospike.client({"hosts": [(host, port)]})
        try:
            client.put(("cache", "s", "k"), {"a": 1}, policy={"ttl": 60})
            assert client.get(("cache", "s", "k"))[2] == {"a": 1}
            with pytest.raises(ex.ForbiddenError):
                client.put(("nonsup", "s", "k"), {"a": 1}, policy={"ttl": 60})
            client.truncate("cache", "s", 0)
        finally:
            client.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_stops_on_sigint() -> None:
    proc, _host, _port = _start()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 0


def test_cli_prints_the_namespaces() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aerospike_cache.server",
            "--port",
            "0",
            "--namespace",
            "a",
            "--namespace",
            "b:default-ttl=60,max-record-size=2048",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert "(namespaces: a, b)" in proc.stdout.readline()
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_cli_rejects_bad_namespace_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "aerospike_cache.server", "--namespace", "x:bogus=1"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "bogus" in result.stderr


def test_cli_edition_option() -> None:
    from aerospike_cache.server.__main__ import build_parser

    assert build_parser().parse_args([]).edition == "community"
    assert build_parser().parse_args(["--edition", "enterprise"]).edition == "enterprise"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--edition", "gold"])


def test_cli_runs_a_cluster() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "aerospike_cache.server", "--port", "0", "--nodes", "3"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"cluster of 3 nodes listening on (.*) \(replication factor 2,", line)
        assert match, line
        hosts = [(h, int(p)) for h, p in re.findall(r"([\d.]+):(\d+)", match.group(1))]
        assert len(hosts) == 3
        client = aerospike.client({"hosts": hosts[:1]})
        try:
            deadline = time.monotonic() + 10
            while len(client.get_node_names()) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert {n["port"] for n in client.get_node_names()} == {p for _h, p in hosts}
            client.put(("test", "s", "k"), {"a": 1})
            assert client.get(("test", "s", "k"))[2] == {"a": 1}
        finally:
            client.close()
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--nodes", "0"], "at least 1"),
        (["--nodes", "2", "--replication-factor", "0"], "at least 1"),
    ],
)
def test_cli_rejects_bad_cluster_options(args: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "aerospike_cache.server", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert message in result.stderr


_IDLE_GC = """
import gc, time, weakref
from aerospike_cache.server.__main__ import full_collections_when_idle

full_collections_when_idle(poll=0.02, period=60.0)
assert gc.get_threshold()[2] >= 1 << 30  # no automatic full collection
class Node:
    pass
a, b = Node(), Node()
a.other, b.other = b, a  # a cycle
freed = []
weakref.finalize(a, freed.append, True)
gc.collect(1)  # promoted to the oldest generation: only a full collection reclaims it
del a, b
deadline = time.monotonic() + 5
while not freed and time.monotonic() < deadline:
    time.sleep(0.05)
print("freed" if freed else "kept")
"""


def test_a_server_process_reclaims_old_cycles_when_idle() -> None:
    """Full collections run from a housekeeping thread, not at a random request."""
    out = subprocess.run(
        [sys.executable, "-c", _IDLE_GC], capture_output=True, text=True, timeout=30
    )
    assert out.stdout.strip() == "freed", out.stderr
