"""``manage.py aerospike_cache <subcommand>``: tools for Aerospike caches.

Subcommands: ``stats`` (this process's figures and the cluster's) and
``invalidate`` (entries by tag or key pattern, matched by the server). Each
subcommand is an ``add_<name>`` method declaring its arguments and a
``handle_<name>`` method doing the work.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.management.base import BaseCommand, CommandError, CommandParser

from .... import jobs
from ....store import stats
from ...cache import AerospikeCache


class Command(BaseCommand):
    help = (
        "Aerospike cache tools: 'stats' prints hits, misses, errors, latency and server "
        "figures; 'invalidate --tag T | --pattern P [--no-wait]' removes entries."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", metavar="subcommand")
        sub.required = True
        for name in ("stats", "invalidate"):
            getattr(self, f"add_{name}")(sub.add_parser(name, help=getattr(self, f"doc_{name}")))

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"handle_{options['subcommand']}")(**options)

    # -- stats --------------------------------------------------------------

    doc_stats = "Hits, misses, near hits, errors, breaker, latency, and the cluster's figures."

    def add_stats(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--cache",
            action="append",
            help="alias of a cache in CACHES (repeatable; default: every Aerospike cache)",
        )
        parser.add_argument("--json", action="store_true", help="print JSON for machines")
        parser.add_argument(
            "--no-server", action="store_true", help="skip the figures read from the cluster"
        )

    def handle_stats(self, **options: Any) -> None:
        reports = {
            alias: stats.report(cache.store, server=not options["no_server"])
            for alias, cache in aerospike_caches(options["cache"]).items()
        }
        if options["json"]:
            self.stdout.write(json.dumps(reports, indent=2, sort_keys=True))
            return
        self.stdout.write("\n\n".join(stats.render(a, r) for a, r in reports.items()))

    # -- invalidate ---------------------------------------------------------

    doc_invalidate = "Remove the entries carrying a tag or whose key matches a glob."

    def add_invalidate(self, parser: CommandParser) -> None:
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--tag", action="append", help="a tag (repeatable: any of them)")
        what.add_argument(
            "--pattern", action="append", help="a glob over the cache's keys (repeatable)"
        )
        parser.add_argument(
            "--no-wait",
            action="store_true",
            help="run a background job on the server (throttled there; progress is shown)",
        )
        parser.add_argument(
            "--cache",
            action="append",
            help="alias of a cache in CACHES (repeatable; default: every Aerospike cache)",
        )

    def handle_invalidate(self, **options: Any) -> None:
        def write(text: str) -> None:
            self.stdout.write(text, ending="")
            self.stdout.flush()

        for alias, cache in aerospike_caches(options["cache"]).items():
            write(f"cache {alias!r}: ")
            jobs.invalidate(
                cache,
                options["tag"] or [],
                options["pattern"] or [],
                wait=not options["no_wait"],
                write=write,
            )


def aerospike_caches(aliases: list[str] | None) -> dict[str, AerospikeCache]:
    """The named caches (every Aerospike cache of ``CACHES`` when none is named)."""
    wanted = aliases or list(settings.CACHES)
    found: dict[str, AerospikeCache] = {}
    for alias in wanted:
        if alias not in settings.CACHES:
            raise CommandError(
                f"no cache {alias!r} in CACHES (aliases: {', '.join(settings.CACHES)})"
            )
        cache = caches[alias]
        if isinstance(cache, AerospikeCache):
            found[alias] = cache
        elif aliases:
            raise CommandError(f"cache {alias!r} is not an aerospike_cache cache")
    if not found:
        raise CommandError("no aerospike_cache.django.AerospikeCache in CACHES")
    return found
