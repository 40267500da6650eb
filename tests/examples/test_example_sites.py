"""Smoke tests of the example projects: each site runs in a subprocess on the test server.

The sites are started the way a user starts them (``manage.py runserver
--noreload``, ``python app.py``), pointed at the test server through
``AEROSPIKE_HOSTS``/``AEROSPIKE_NAMESPACE`` (so these tests follow the suite
to a real cluster), in a set of their own, and driven over real HTTP.
"""

from __future__ import annotations

import http.cookiejar
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "example_projects"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Site:
    def __init__(self, base: str) -> None:
        self.base = base
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def get(self, path: str) -> tuple[str | None, str]:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.headers.get("X-Cache"), response.read().decode()


def _command(kind: str, port: int) -> tuple[list[str], Path]:
    if kind == "django":
        where = EXAMPLES / "django_site"
        return [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"], where
    where = EXAMPLES / "flask_app"
    return [sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port)], where


@pytest.fixture(params=["django", "flask"])
def site(
    request: pytest.FixtureRequest, aerospike_server: Any, aerospike_set: str
) -> Iterator[Site]:
    kind = str(request.param)
    port = _free_port()
    env = dict(
        os.environ,
        AEROSPIKE_HOSTS=",".join(f"{h[0]}:{h[1]}" for h in aerospike_server.hosts),
        AEROSPIKE_NAMESPACE=aerospike_server.namespace,
        AEROSPIKE_SET=f"{aerospike_set}_{kind}",
        PYTHONUNBUFFERED="1",
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    cmd, cwd = _command(kind, port)
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read() if proc.stdout else ""
                pytest.fail(f"the {kind} example exited with {proc.returncode}:\n{out}")
            try:
                urllib.request.urlopen(base + "/", timeout=5).close()
                break
            except urllib.error.HTTPError as exc:
                out = ""
                pytest.fail(f"the {kind} example answered {exc.code} on /{out}")
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the {kind} example did not answer on {base} within 60s")
                time.sleep(0.2)
        yield Site(base)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def _product_paths(site: Site) -> list[str]:
    _, body = site.get("/")
    paths = []
    marker = 'href="/products/'
    at = body.find(marker)
    while at != -1:
        start = at + len('href="')
        paths.append(body[start : body.index('"', start)])
        at = body.find(marker, start)
    return paths


def test_list_page_second_request_is_a_cache_hit(site: Site) -> None:
    # The readiness probe fetched "/" first: it is in the page cache now.
    status, body = site.get("/")
    assert status == "hit"
    assert "Cache HIT" in body
    assert "hit ratio" in body  # the backend's stats, on the page


def test_detail_page_fragment_computation_and_counter(site: Site) -> None:
    path = _product_paths(site)[0]
    first_status, first = site.get(path)
    second_status, second = site.get(path)
    assert (first_status, second_status) == ("miss", "hit")
    assert "Cache MISS" in first
    assert "Cache HIT" in second
    assert "Viewed 1 time" in first
    assert "Viewed 2 times" in second


@pytest.mark.parametrize("site", ["django"], indirect=True)  # sessions are Django's
def test_recently_viewed_lives_in_a_cache_backed_session(site: Site) -> None:
    site.get("/products/burr-grinder/")
    _, body = site.get("/products/desk-lamp/")
    recent = body[body.index("Recently viewed") :]
    assert "Burr grinder" in recent
