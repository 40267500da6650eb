"""``python -m aerospike_cache.server`` as a subprocess."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import aerospike
import pytest
from aerospike import exception as ex

pytestmark = pytest.mark.embedded_only


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
