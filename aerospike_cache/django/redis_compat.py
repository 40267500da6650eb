"""What django-redis users carry over: its OPTIONS, settings and call shapes.

django-redis options with a meaning here are translated (its serializer and
compressor paths, ``LOG_IGNORED_EXCEPTIONS=True``, the
``DJANGO_REDIS_IGNORE_EXCEPTIONS`` default); those without one are refused
with a message naming what to use instead (the README's django-redis table).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigurationError

_SERIALIZERS = {
    "django_redis.serializers.pickle.PickleSerializer": "pickle",
    "django_redis.serializers.json.JSONSerializer": "json",
    "django_redis.serializers.msgpack.MSGPackSerializer": "msgpack",
}
_COMPRESSORS: dict[str, str | None] = {
    "django_redis.compressors.identity.IdentityCompressor": None,
    "django_redis.compressors.zlib.ZlibCompressor": "zlib",
    "django_redis.compressors.zstd.ZStdCompressor": "zstd",
    "django_redis.compressors.lz4.Lz4Compressor": "lz4",
}
_PATHS: tuple[tuple[str, Mapping[str, str | None], str], ...] = (
    ("SERIALIZER", _SERIALIZERS, "'pickle', 'json', 'msgpack', a dotted path or an object"),
    ("COMPRESSOR", _COMPRESSORS, "None, 'zlib', 'zstd', 'lz4', a dotted path or an object"),
)

_LOGGING = (
    "aerospike_cache logs every ignored exception, rate-limited (one line per operation "
    "and error a minute), on the 'aerospike_cache' logger; configure that logger in LOGGING "
    "(level, handlers) instead"
)

# django-redis OPTIONS without a meaning on Aerospike -> what to use instead.
REFUSED: dict[str, str] = {
    "CLIENT_CLASS": "there are no client classes (default, sharded, herd, sentinel): "
    "one Aerospike client per process serves every cache; an Aerospike cluster shards "
    "and replicates by itself (give its seed hosts in LOCATION)",
    "CLIENT_KWARGS": "client configuration goes in OPTIONS['CLIENT_CONFIG']",
    "REDIS_CLIENT_CLASS": "use OPTIONS['CLIENT'] to pass a pre-built aerospike client",
    "REDIS_CLIENT_KWARGS": "use OPTIONS['CLIENT_CONFIG'] (aerospike.client() configuration)",
    "CONNECTION_POOL_CLASS": "the aerospike client pools its own connections; "
    "tune them in OPTIONS['CLIENT_CONFIG'] (max_conns_per_node, min_conns_per_node)",
    "CONNECTION_POOL_KWARGS": "tune the client's pools in OPTIONS['CLIENT_CONFIG'] "
    "(max_conns_per_node, min_conns_per_node)",
    "CONNECTION_FACTORY": "use OPTIONS['CLIENT'] to pass a pre-built aerospike client",
    "PARSER_CLASS": "the aerospike client has its own wire protocol",
    "PASSWORD": "give user and password in OPTIONS['CLIENT_CONFIG'] "
    "({'user': ..., 'password': ...})",
    "USERNAME": "give user and password in OPTIONS['CLIENT_CONFIG']",
    "SOCKET_TIMEOUT": "use OPTIONS['TIMEOUT_MS'] (milliseconds, the total and socket "
    "timeout of every command)",
    "SOCKET_CONNECT_TIMEOUT": "use OPTIONS['CONNECT_TIMEOUT_MS'] (milliseconds)",
    "SENTINELS": "an Aerospike cluster fails over by itself: list several seed hosts in LOCATION",
    "SENTINEL_KWARGS": "an Aerospike cluster fails over by itself: "
    "list several seed hosts in LOCATION",
    "CLOSE_CONNECTION": "close() costs nothing and keeps the process's shared client; "
    "cache.store.shutdown() closes it",
    "PICKLE_VERSION": "pickle uses the highest protocol; pass a serializer object "
    "(OPTIONS['SERIALIZER']) for another",
    "REPLICA_READ_ONLY": "replica reads are the client's read policy: "
    "OPTIONS['CLIENT_CONFIG']['policies']['read']['replica']",
}


def translate(opts: Mapping[str, Any]) -> dict[str, Any]:
    """django-redis OPTIONS in ``opts`` as ours; :class:`ConfigurationError` if one has none."""
    out = dict(opts)
    refused = next((name for name in out if name in REFUSED), None)
    if refused is not None:
        raise ConfigurationError(f"OPTIONS[{refused!r}] is django-redis's: {REFUSED[refused]}")
    if "LOG_IGNORED_EXCEPTIONS" in out and out.pop("LOG_IGNORED_EXCEPTIONS") is not True:
        raise ConfigurationError(f"OPTIONS['LOG_IGNORED_EXCEPTIONS'] must be True: {_LOGGING}")
    for name, table, ours in _PATHS:
        path = out.get(name)
        if isinstance(path, str) and path.startswith("django_redis."):
            if path not in table:
                raise ConfigurationError(f"OPTIONS[{name!r}] {path!r}: use {ours}")
            out[name] = table[path]
    return out


def settings_defaults(settings: Any, opts: dict[str, Any]) -> None:
    """django-redis's settings-level defaults that apply to every cache (in place)."""
    ignore = getattr(settings, "DJANGO_REDIS_IGNORE_EXCEPTIONS", None)
    if ignore is not None and "IGNORE_EXCEPTIONS" not in opts:
        opts["IGNORE_EXCEPTIONS"] = ignore


def settings_warnings(settings: Any) -> list[str]:
    """django-redis settings that mean something else here (system check warnings)."""
    out = []
    log = getattr(settings, "DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS", None)
    if log is False:
        out.append(f"DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS=False does not apply: {_LOGGING}")
    name = getattr(settings, "DJANGO_REDIS_LOGGER", None)
    if name is not None and name != "aerospike_cache":
        out.append(f"DJANGO_REDIS_LOGGER={name!r} does not apply: {_LOGGING}")
    return out


def no_client(client: Any) -> None:
    """Refuse django-redis's per-call ``client=`` (a raw Redis connection)."""
    if client is not None:
        raise TypeError(
            "client= takes a raw Redis connection in django-redis; aerospike_cache has no "
            "per-call client: every call uses the store's shared client (cache.store)"
        )


def unix_seconds(when: datetime.datetime | float, per_second: int) -> float:
    """``when`` (a datetime, naive = local time, or a Unix time in 1/per_second units)
    as Unix seconds, as redis-py reads EXPIREAT/PEXPIREAT arguments."""
    if isinstance(when, datetime.datetime):
        return when.timestamp()
    if isinstance(when, bool) or not isinstance(when, (int, float)):
        raise TypeError(f"when must be a datetime or a Unix time, got {when!r}")
    return when / per_second
