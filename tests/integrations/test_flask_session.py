"""Flask-Session's cachelib sessions on our Flask backend (README "Works with")."""

from __future__ import annotations

from typing import Any

from flask import Flask, session

from aerospike_cache.flask import AerospikeCache

from .conftest import require_packages


def test_flask_session_round_trip(aerospike_server: Any, aerospike_set: str) -> None:
    require_packages(flask_session="Flask-Session")
    from flask_session import Session

    cluster = aerospike_server.cluster_name
    backend = AerospikeCache(
        hosts=",".join(f"{h}:{p}" for h, p in aerospike_server.hosts),
        namespace=aerospike_server.namespace,
        set_name=aerospike_set,
        client_config={"cluster_name": cluster} if cluster else None,
    )
    app = Flask(__name__)
    app.config.update(SESSION_TYPE="cachelib", SESSION_CACHELIB=backend)
    Session(app)

    @app.route("/visits")
    def visits() -> str:
        session["visits"] = session.get("visits", 0) + 1
        return str(session["visits"])

    browser = app.test_client()
    assert [browser.get("/visits").text for _ in range(3)] == ["1", "2", "3"]
    assert app.test_client().get("/visits").text == "1"  # another browser, another session
    stored = list(backend.iter_keys("session:*"))
    assert len(stored) == 2  # the two sessions, in Aerospike
    backend.delete(stored[0])
    backend.delete(stored[1])
    assert browser.get("/visits").text == "1"  # the server-side session is gone
