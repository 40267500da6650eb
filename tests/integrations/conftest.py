"""The packages the integration tests need: the ``integrations`` extra (tox pins per Django)."""

from __future__ import annotations

import importlib
import os

import pytest


def require_packages(**modules: str) -> None:
    """Import each ``module=package``; outside CI a missing one skips (CI installs the extra)."""
    for module, package in modules.items():
        if os.environ.get("CI"):
            importlib.import_module(module)
        else:
            pytest.importorskip(
                module, reason=f"{package} is not installed (pip install -e '.[integrations]')"
            )
