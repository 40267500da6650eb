"""Answers of a real Aerospike node, recorded (fixtures for parsers of info answers)."""

from __future__ import annotations

import json
from pathlib import Path

_HERE = Path(__file__).parent
_CACHE_8_1_2 = json.loads((_HERE / "namespace-cache-8.1.2.json").read_text())

#: ``namespace/cache`` of a real 8.1.2 node, as the client returned it ("name\tvalue\n")
NAMESPACE_CACHE_8_1_2: str = _CACHE_8_1_2["namespace/cache"]


def value(answer: str) -> str:
    """The value part of a one-line info answer."""
    return answer.partition("\t")[2].strip()
