"""Flask-Caching's configuration merged into the backend's keyword arguments.

Reads ``CACHE_AEROSPIKE_HOSTS``, ``CACHE_AEROSPIKE_CLIENT``,
``CACHE_AEROSPIKE_NAMESPACE``, ``CACHE_AEROSPIKE_SET`` and every other store
option as ``CACHE_AEROSPIKE_<NAME>``; ``CACHE_KEY_PREFIX``; and the keyword
arguments Flask-Caching passes (``default_timeout``,
``ignore_delete_many_errors``, plus ``CACHE_OPTIONS``, which may carry store
options in lower case). Each value remembers the setting it came from, so
that an error names the setting to change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .. import options
from ..errors import ConfigurationError

PREFIX = "CACHE_AEROSPIKE_"
HOSTS_SETTING = "CACHE_AEROSPIKE_HOSTS"

# Keyword arguments of AerospikeCache that are not store options, and the
# Flask-Caching setting each comes from.
FRONTEND_SETTINGS = {
    "hosts": HOSTS_SETTING,
    "default_timeout": "CACHE_DEFAULT_TIMEOUT",
    "ignore_delete_many_errors": "CACHE_IGNORE_ERRORS",
    "key_prefix": "CACHE_KEY_PREFIX",
}

Origin = dict[str, str]


def config_key(store_name: str) -> str:
    """The Flask config spelling of a store option (``set_name`` -> ``CACHE_AEROSPIKE_SET``)."""
    return PREFIX + ("SET" if store_name == "set_name" else store_name.upper())


def valid_settings() -> list[str]:
    """Every ``CACHE_AEROSPIKE_*`` setting this backend reads."""
    return sorted([HOSTS_SETTING, *(config_key(opt.name) for opt in options.STORE_OPTIONS)])


def backend_kwargs(
    config: Mapping[str, Any], args: list[Any], kwargs: Mapping[str, Any]
) -> tuple[dict[str, Any], Origin]:
    """The backend's keyword arguments from Flask-Caching's, and the setting each came from.

    A bad, conflicting or unknown setting raises :class:`ConfigurationError` naming it.
    """
    if args:
        raise ConfigurationError(
            f"CACHE_ARGS {args!r} is not used by aerospike_cache.flask.AerospikeCache; "
            "use the CACHE_AEROSPIKE_* settings or CACHE_OPTIONS"
        )
    store_kwargs, origin = _store_settings(config, kwargs)
    frontend = {k: v for k, v in kwargs.items() if k in FRONTEND_SETTINGS}
    hosts = config.get(HOSTS_SETTING)
    if "hosts" in frontend:
        if hosts is not None and frontend["hosts"] != hosts:
            raise ConfigurationError(
                "CACHE_AEROSPIKE_HOSTS and CACHE_OPTIONS['hosts'] disagree; set only one"
            )
        origin["hosts"] = "CACHE_OPTIONS['hosts']"
    else:
        frontend["hosts"] = hosts
        origin["hosts"] = HOSTS_SETTING
    if "ignore_delete_many_errors" not in frontend and "CACHE_IGNORE_ERRORS" in config:
        # Flask-Caching >= 2.5 passes it; 2.4 (the newest for Python 3.10) only sets it
        frontend["ignore_delete_many_errors"] = config["CACHE_IGNORE_ERRORS"]
    for name in ("default_timeout", "ignore_delete_many_errors"):
        origin[name] = FRONTEND_SETTINGS[name]
    if "key_prefix" in frontend:
        origin["key_prefix"] = "CACHE_OPTIONS['key_prefix']"
    else:
        frontend["key_prefix"] = config.get("CACHE_KEY_PREFIX")
        origin["key_prefix"] = "CACHE_KEY_PREFIX"
    if store_kwargs.get("client") is None and frontend["hosts"] is None:
        raise ConfigurationError(
            "aerospike_cache.flask: set CACHE_AEROSPIKE_HOSTS to the seed hosts, e.g. "
            "[('127.0.0.1', 3000, None)], or CACHE_AEROSPIKE_CLIENT to a pre-built client"
        )
    return {**frontend, **store_kwargs}, origin


def _store_settings(
    config: Mapping[str, Any], kwargs: Mapping[str, Any]
) -> tuple[dict[str, Any], Origin]:
    """Store options from ``CACHE_AEROSPIKE_*`` and ``CACHE_OPTIONS``, which must agree."""
    settings = {k: v for k, v in config.items() if isinstance(k, str) and k.startswith(PREFIX)}
    valid = valid_settings()
    unknown = sorted(set(settings) - set(valid))
    if unknown:
        raise ConfigurationError(
            f"unknown setting {', '.join(unknown)} in the Flask config; "
            f"the valid CACHE_AEROSPIKE_* settings are: {', '.join(valid)}"
        )
    settings.pop(HOSTS_SETTING, None)
    from_config = options.validate(settings, config_key, "the Flask config")
    origin = {name: config_key(name) for name in from_config}
    extra = {k: v for k, v in kwargs.items() if k not in FRONTEND_SETTINGS}
    accepted = sorted([*FRONTEND_SETTINGS, *options.BY_NAME])
    unknown = sorted(set(extra) - set(accepted))
    if unknown:
        raise ConfigurationError(
            f"unknown option {', '.join(map(repr, unknown))} in CACHE_OPTIONS; "
            f"valid options: {', '.join(accepted)}"
        )
    from_options = options.validate(extra, str, "CACHE_OPTIONS")
    for name, value in from_options.items():
        if name in from_config and from_config[name] != value:
            raise ConfigurationError(
                f"{config_key(name)} and CACHE_OPTIONS[{name!r}] disagree "
                f"({from_config[name]!r} vs {value!r}); set only one of them"
            )
        origin[name] = f"CACHE_OPTIONS[{name!r}]"
    store_kwargs = {**from_config, **from_options}
    if store_kwargs.get("serializer") is not None and config.get("CACHE_SERIALIZER"):
        raise ConfigurationError(
            "both CACHE_SERIALIZER and the aerospike serializer option are set; "
            "set only one of them"
        )
    return store_kwargs, origin


def _subject_pattern(name: str) -> str:
    words = {
        "set_name": r"set",
        "client_config": r"client[ _]config",
        "hosts": r"hosts?|LOCATION",
    }.get(name, re.escape(name))
    return rf"\b(?:{words})\b"


def blame(exc: ConfigurationError, origin: Mapping[str, str]) -> ConfigurationError:
    """Name the Flask settings a store configuration error is about."""
    text = str(exc)
    named = [setting for name, setting in origin.items() if re.search(_subject_pattern(name), text)]
    hint = f" (check {', '.join(dict.fromkeys(named))})" if named else ""
    return ConfigurationError(f"aerospike_cache.flask: {text}{hint}")
