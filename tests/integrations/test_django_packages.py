"""The Django packages of the README's "Works with" on our backend: ``django_flows.py``,
run in a process of its own under the settings the README describes (``settings.py``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from .conftest import require_packages

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def test_django_packages_on_our_backend(aerospike_server: Any, aerospike_set: str) -> None:
    require_packages(
        cachalot="django-cachalot",
        django_ratelimit="django-ratelimit",
        rest_framework="djangorestframework",
        debug_toolbar="django-debug-toolbar",
        axes="django-axes",
    )
    env = dict(
        os.environ,
        AEROSPIKE_HOSTS=",".join(f"{h}:{p}" for h, p in aerospike_server.hosts),
        AEROSPIKE_NAMESPACE=aerospike_server.namespace,
        INTEGRATIONS_SET=aerospike_set,
    )
    if aerospike_server.cluster_name:
        env["AEROSPIKE_CLUSTER_NAME"] = aerospike_server.cluster_name
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfEs"]
    cmd += ["--ds=tests.integrations.settings", str(HERE / "django_flows.py")]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    flows = len(re.findall(r"^def test_", (HERE / "django_flows.py").read_text(), re.M))
    summary = out.strip().splitlines()[-1]
    assert re.fullmatch(rf"=* ?{flows} passed in [\d.]+s ?=*", summary.strip()), out
