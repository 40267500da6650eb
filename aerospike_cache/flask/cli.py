"""``flask aerospike-cache <subcommand>``: tools for the app's Aerospike caches.

The group is added to ``app.cli`` when an :class:`~aerospike_cache.flask.AerospikeCache`
is built by Flask-Caching for the app. Subcommands: ``stats``, ``invalidate``,
``check``.
"""

from __future__ import annotations

import json
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .. import jobs
from ..errors import CacheError
from ..store import stats


@click.group("aerospike-cache", help="Aerospike cache tools.")
def cli() -> None:
    """The command group; each subcommand is registered below."""


def register(app: Flask) -> None:
    """Add the ``aerospike-cache`` command group to ``app`` (once)."""
    if cli.name not in app.cli.commands:
        app.cli.add_command(cli)


def aerospike_caches(app: Flask) -> dict[str, Any]:
    """The app's Aerospike caches, named by their Flask-Caching ``Cache`` object's position."""
    from .cache import AerospikeCache

    found: dict[str, Any] = {}
    for index, backend in enumerate(app.extensions.get("cache", {}).values()):
        if isinstance(backend, AerospikeCache):
            found[f"cache{index}" if index else "cache"] = backend
    if not found:
        raise click.ClickException("no aerospike_cache.flask.AerospikeCache is configured")
    return found


@cli.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
@click.option("--no-server", is_flag=True, help="Skip the figures read from the cluster.")
@with_appcontext
def stats_command(as_json: bool, no_server: bool) -> None:
    """Hits, misses, near hits, errors, breaker, latency, and the cluster's figures."""
    caches = aerospike_caches(current_app)
    reports = {name: stats.report(c.store, server=not no_server) for name, c in caches.items()}
    if as_json:
        click.echo(json.dumps(reports, indent=2, sort_keys=True))
    else:
        click.echo("\n\n".join(stats.render(n, r) for n, r in reports.items()))


@cli.command("check")
@click.option("--fail-on-warning", is_flag=True, help="Exit 1 on warnings too.")
@with_appcontext
def check_command(fail_on_warning: bool) -> None:
    """Connect, check that the namespace takes writes with a TTL, and warn of what will
    make it refuse writes as it fills (eviction, stop-writes, default timeout)."""
    failed = warned = False
    for name, cache in aerospike_caches(current_app).items():
        try:
            cache.store.check_ttl_writes()
            warnings = cache.capacity_warnings()
        except CacheError as exc:
            click.echo(f"{name}: error: {exc}", err=True)
            failed = True
            continue
        for kind, text in warnings:
            click.echo(f"{name}: warning ({kind}): {text}", err=True)
        warned = warned or bool(warnings)
        if not warnings:
            click.echo(f"{name}: ok")
    if failed or (warned and fail_on_warning):
        raise click.exceptions.Exit(1)


@cli.command("invalidate")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable: any of them).")
@click.option("--pattern", "patterns", multiple=True, help="A glob over the keys (repeatable).")
@click.option(
    "--no-wait",
    is_flag=True,
    help="Run a background job on the server (throttled there; progress is shown).",
)
@with_appcontext
def invalidate_command(tags: tuple[str, ...], patterns: tuple[str, ...], no_wait: bool) -> None:
    """Remove the entries carrying a tag or whose key matches a glob."""
    if bool(tags) == bool(patterns):
        raise click.UsageError("give --tag or --pattern (one kind, repeatable)")
    for name, cache in aerospike_caches(current_app).items():
        click.echo(f"{name}: ", nl=False)
        jobs.invalidate(
            cache, tags, patterns, wait=not no_wait, write=lambda t: click.echo(t, nl=False)
        )
