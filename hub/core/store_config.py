"""Where the hub's public data lives: the embedded Oxigraph store (the default) or a SPARQL 1.1 server, chosen with
`--store URL` or a `[store]` table in hub.toml (docs/stores.md).

A server is reached through three endpoints: the SPARQL 1.1 Protocol (queries), SPARQL 1.1 Update, and the Graph
Store Protocol (reading a graph whole; optional: without it a graph is read with a CONSTRUCT). `--store URL` names an
Oxigraph server, whose endpoints are URL/query, URL/update and URL/store; the table names any engine's.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harvesters.tomlfile import read_toml
from hub.core.config import ConfigError, Settings, StoreConfig, _hint
from hub.core.profile import profile_path

ENGINES = ("oxigraph", "virtuoso", "fuseki", "qlever", "sparql")
AUTH = ("basic", "digest")
# Each engine's endpoints below its base URL; the `[store]` table's query/update/graph_store keys override them.
_PATHS: dict[str, tuple[str, str, str | None]] = {
    "oxigraph": ("/query", "/update", "/store"),
    "virtuoso": ("/sparql", "/sparql", None),  # its Graph Store endpoint needs a login: graphs are read by CONSTRUCT
    "fuseki": ("/query", "/update", "/data"),  # below the dataset's URL, e.g. http://host:3030/hub
    "qlever": ("", "", None),  # one endpoint for queries and updates
    "sparql": ("", "", None),
}
_KEYS = ("url", "engine", "query", "update", "graph_store", "timeout", "user", "password_env", "auth")
_PASSWORD_ENV = re.compile(r"^[A-Z_][A-Z0-9_]*$")


class StoreConfigError(ConfigError):
    """A `--store` URL or `[store]` table the hub cannot use."""


def from_url(url: str, engine: str = "oxigraph", where: str = "--store") -> StoreConfig:
    """A server named by its base URL, with its engine's endpoints below it."""
    base = _checked_url(url, where).rstrip("/")
    query, update, graph_store = _PATHS[engine]
    return StoreConfig(url, engine, base + query, base + update, None if graph_store is None else base + graph_store)


def from_profile(path: Path) -> StoreConfig | None:
    """The `[store]` table of a hub.toml, or None without one (the embedded store)."""
    if not path.is_file():
        return None
    text, document = read_toml(path, StoreConfigError, " the hub's profile")
    table = document.get("store")
    if table is None:
        return None
    line = _line(text)
    if not isinstance(table, dict):
        raise StoreConfigError(f"{path}:{line}: 'store' must be a table: write [store] and url = \"http://…\"")
    for key in table:
        if key not in _KEYS:
            raise StoreConfigError(f"{path}:{line}: [store]: unknown key {key!r}{_hint(key, list(_KEYS))}")
    engine = table.get("engine", "oxigraph")
    if engine not in ENGINES:
        raise StoreConfigError(f"{path}:{line}: [store]: 'engine' must be one of {', '.join(ENGINES)}, not "
                               f"{engine!r}{_hint(str(engine), list(ENGINES))}")
    if not isinstance(table.get("url"), str):
        raise StoreConfigError(f"{path}:{line}: [store] needs 'url', the server's base URL "
                               f"(e.g. url = \"http://127.0.0.1:7878\" for an Oxigraph server)")
    where = f"{path}:{line}: [store]"
    made = from_url(table["url"], engine, where)
    endpoints: dict[str, Any] = {}
    for key in ("query", "update", "graph_store"):
        value = table.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise StoreConfigError(f"{where}: {key!r} must be a URL (a string)")
        endpoints[key] = _checked_url(value, f"{where} {key}") if value else None
    timeout = table.get("timeout", made.timeout)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise StoreConfigError(f"{where}: 'timeout' must be a positive number of seconds, not {timeout!r}")
    auth = table.get("auth", "basic")
    if auth not in AUTH:
        raise StoreConfigError(f"{where}: 'auth' must be one of {', '.join(AUTH)}, not {auth!r}")
    password_env = table.get("password_env")
    if password_env is not None and (not isinstance(password_env, str) or not _PASSWORD_ENV.match(password_env)):
        raise StoreConfigError(f"{where}: 'password_env' names the environment variable holding the password "
                               f"(e.g. \"HUB_STORE_PASSWORD\"), never the password itself")
    user = table.get("user")
    if user is not None and not isinstance(user, str):
        raise StoreConfigError(f"{where}: 'user' must be a string")
    return StoreConfig(made.url, made.engine, endpoints.get("query", made.query), endpoints.get("update", made.update),
                       endpoints.get("graph_store", made.graph_store), float(timeout), user, password_env, auth)


def _checked_url(url: str, where: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreConfigError(f"{where}: {url!r} is not an http(s) URL: give the SPARQL server's base URL, "
                               f"e.g. http://127.0.0.1:7878")
    return url


def _line(text: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(r"^\s*\[\s*store\s*\]", line):
            return number
    return 1


def store_of(settings: Settings) -> StoreConfig | None:
    """The server a hub's settings name: `--store`, else the `[store]` table of the hub.toml beside sources.toml;
    None: the embedded store."""
    if settings.store is not None:
        return settings.store
    return from_profile(profile_path(settings.sources_path))
