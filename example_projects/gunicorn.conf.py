"""gunicorn settings of the example sites (run from the site's directory, see docs/deployment.md).

    gunicorn -c ../gunicorn.conf.py catalogue_site.wsgi          # example_projects/django_site
    gunicorn -c ../gunicorn.conf.py 'app:create_app()'           # example_projects/flask_app

``GUNICORN_WORKERS`` (default 4) pre-forked sync workers on ``GUNICORN_BIND``
(default 127.0.0.1:8000), threaded ones with ``GUNICORN_THREADS`` > 1; add
``--preload`` to load the site in the master before forking. Without
``AEROSPIKE_HOSTS`` this file starts one embedded Aerospike-compatible server
for all the workers (each worker starting its own would give each a cache of
its own) and stops it when gunicorn exits.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from typing import Any

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
# GUNICORN_THREADS > 1: threaded workers (gthread), every thread on the worker's one client
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
accesslog = None
graceful_timeout = 5
control_socket_disable = True  # gunicorn >= 24: no shared ~/.gunicorn socket between sites

_server: subprocess.Popen[str] | None = None
if not os.environ.get("AEROSPIKE_HOSTS") and os.environ.get("CACHE_BACKEND", "aerospike") == (
    "aerospike"
):
    # Started here, while the config is read: before the site is loaded, with --preload too.
    _server = subprocess.Popen(
        [sys.executable, "-m", "aerospike_cache.server", "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert _server.stdout is not None
    for line in _server.stdout:
        found = re.search(r"listening on \[?([0-9A-Za-z_.:-]+?)\]?:(\d+)", line)
        if found:
            os.environ["AEROSPIKE_HOSTS"] = f"{found.group(1)}:{found.group(2)}"
            print(f"embedded Aerospike server on {os.environ['AEROSPIKE_HOSTS']}", flush=True)
            break
    else:
        raise SystemExit("the embedded Aerospike server did not start")
    # keep reading what it says, so that it never blocks on a full pipe
    threading.Thread(target=_server.stdout.read, daemon=True).start()


def on_exit(server: Any) -> None:
    if _server is not None:
        _server.terminate()
        _server.wait(10)
