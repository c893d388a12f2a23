"""`mutualisons`: the command line, mirroring what the API offers.

    mutualisons [--sources FILE] [--data DIR] [--base-iri IRI] COMMAND
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harvesters.formats import FormatTableError, LiftError, table
from hub import __version__
from hub.archive.datadir import BaseIriMismatch, DataDir
from hub.charter import messages
from hub.core import store_config
from hub.core.config import ConfigError, Settings, StoreConfig, load_sources, unknown_profile
from hub.core.iris import Minter
from hub.core.lock import HarvestRunning
from hub.core.profile import ProfileError, profile_path
from hub.sparql.pool import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_QUERY_BYTES,
    DEFAULT_MAX_ROWS,
    MIN_QUERY_MEMORY_MIB,
    default_query_memory_mib,
    default_workers,
)
from hub.store.remote import StoreUnavailable

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# On SIGTERM, requests still running after this many seconds are cut, so that a server busy with slow
# queries or checks stops within seconds (the query and check workers are killed with the application).
SHUTDOWN_GRACE_SECONDS = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mutualisons",
        description="Harvest the feeds of networks of alternatives, check them against the charter, "
                    "and serve them as linked open data with the provenance of every statement.",
    )
    parser.add_argument("--sources", metavar="FILE", help="the source registry (default: examples/sources.toml)")
    parser.add_argument("--data", metavar="DIR", help="where the hub keeps its data (default: ./data)")
    parser.add_argument("--base-iri", metavar="IRI",
                        help="base of the IRIs the hub mints (default: $MUTUALISONS_BASE_IRI, else for serve "
                             "http://HOST:PORT/ of --host and --port, else http://127.0.0.1:8000/)")
    parser.add_argument("--version", action="version", version=f"mutualisons {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    harvest = commands.add_parser("harvest", help="harvest sources (all when none given) and publish")
    harvest.add_argument("ids", nargs="*", metavar="ID", help="source ids from sources.toml")
    harvest.add_argument("--store", metavar="URL", type=_store_url,
                         help="keep the public data on the Oxigraph server at URL (its /query, /update and /store) "
                              "instead of the embedded store; other engines: [store] in hub.toml (docs/stores.md)")
    harvest.add_argument("--due", action="store_true",
                         help="only the sources whose period (sources.toml) has passed since their last run")
    harvest.add_argument("--compact", action="store_true",
                         help="after writing over 200,000 statements, compact the store before publishing it "
                              "(about 7 s per 100k records; its queries then run 1.6 to 2.5 times faster); "
                              "background harvests (serve --schedule, the admin trigger) always do")

    serve = commands.add_parser("serve", help="serve the published data over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--schedule", action="store_true",
                       help="harvest the sources whose period has passed, in a child process, every minute")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--store", metavar="URL", type=_store_url,
                       help="serve the public data from the Oxigraph server at URL, as `harvest --store` wrote it "
                            "(docs/stores.md)")
    serve.add_argument("--query-deadline", type=_positive_float, default=DEFAULT_DEADLINE, metavar="S",
                       help=f"stop a SPARQL query after S seconds with 503 (default {DEFAULT_DEADLINE:g})")
    serve.add_argument("--max-rows", type=_positive_int, default=DEFAULT_MAX_ROWS, metavar="N",
                       help=f"cap SPARQL results at N rows or triples; the Results-Truncated header says when "
                            f"(default {DEFAULT_MAX_ROWS})")
    serve.add_argument("--service-allow", action=_Removed, help=argparse.SUPPRESS,
                       removed="--service-allow was removed: SPARQL SERVICE is always refused, because the query "
                               "engine (pyoxigraph) gives the hub no way to route its calls through an allow-list, "
                               "and query workers have no network at all. Drop the option (see docs/api.md)")
    serve.add_argument("--query-workers", type=_positive_int, default=default_workers(), metavar="N",
                       help="query worker processes, at least 2 (default: the number of CPUs, at least 2)")
    serve.add_argument("--query-memory", type=_positive_int, default=None, metavar="MIB",
                       help=f"address space of each query worker, in MiB, at least {MIN_QUERY_MEMORY_MIB}; a query "
                            f"that needs more gets 503 (default 2048, less when the workers would take over half "
                            f"the machine's RAM, never under 1024)")
    serve.add_argument("--max-query-bytes", type=_positive_int, default=DEFAULT_MAX_QUERY_BYTES, metavar="N",
                       help=f"the largest SPARQL request body, and query string, in bytes; more gets 413 "
                            f"(414 for a query string) (default {DEFAULT_MAX_QUERY_BYTES})")
    serve.add_argument("--client-queries", type=_positive_int, default=None, metavar="N",
                       help="SPARQL queries one client address may have running and waiting; more get 429 "
                            "(default: twice the workers); one address runs at most workers - 1 at once")
    serve.add_argument("--query-queue", type=_positive_int, default=None, metavar="N",
                       help="SPARQL queries that may wait for a worker in all; more get 503 "
                            "(default: 16 per worker)")
    serve.add_argument("--trusted-proxy", action="append", default=[], metavar="ADDR",
                       help="a reverse proxy (an address or a CIDR network; repeatable) whose X-Forwarded-For "
                            "names the client that per-client limits count; none by default")
    serve.add_argument("--tiles", default=None, metavar="URL|none",
                       help="the map's tile server, an XYZ template such as https://tile.example/{z}/{x}/{y}.png, "
                            "or 'none' for no tiles (default: OpenStreetMap's, or $MUTUALISONS_TILES)")

    load = commands.add_parser("load", help="load a file into a named graph, described as loaded by an administrator")
    load.add_argument("file", metavar="FILE")
    load.add_argument("--graph", required=True, metavar="IRI", help="the named graph to (re)place")
    load.add_argument("--format", metavar="TYPE", help="media type or extension (default: from the file name)")
    load.add_argument("--license", metavar="IRI", help="the licence of the loaded data")
    load.add_argument("--by", metavar="NAME", help="who loads it (default: the user running the command)")

    validate = commands.add_parser("validate", help="check a document against the charter, as a harvest would")
    validate.add_argument("file", metavar="FILE")
    formats = table()  # the registered feed formats (docs/formats.md)
    validate.add_argument("--format", choices=sorted(formats.names()),
                          help="the document's format (sniffed if absent)")
    validate.add_argument("--mapping", metavar="TOML", help="the mapping of a GeoJSON, CSV or iCalendar document")
    validate.add_argument("--lang", choices=("fr", "nl", "en"), default="en", help="language of the messages")
    validate.add_argument("--language", metavar="TAG", help="tag untagged names like a source with this "
                          "`language` would (sources.toml)")
    validate.add_argument("--json", action="store_true", help="print the verdict as JSON (as POST /api/validate)")
    validate.add_argument("--profile", action="append", default=[], metavar="NAME",
                          help="check against this charter profile too, as a source whose `profiles` names it "
                               "would be (shapes/profiles/NAME.ttl; repeatable)")

    commands.add_parser("sources", help="list the sources and their last run")

    confirm = commands.add_parser(
        "confirm-removal", help="let a source's next harvest remove the records its last run was held for "
                                "(the safety valve: max_removal in sources.toml)")
    confirm.add_argument("id", metavar="ID", help="the source id from sources.toml")
    confirm.add_argument("--by", metavar="NAME", help="who confirms (default: the user running the command)")

    token = commands.add_parser("token",
                                help="publisher tokens: a network's key to its own source (docs/publishers.md)")
    token_commands = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = token_commands.add_parser("create", help="make a token for a source and print it (once: only its hash "
                                                      "is kept)")
    create.add_argument("source", metavar="SOURCE", help="the source id from sources.toml")
    create.add_argument("--label", default="", metavar="TEXT", help="who holds it, to tell tokens apart in the list")
    token_commands.add_parser("list", help="list the tokens (id, source, when made, label; never the secret)")
    revoke = token_commands.add_parser("revoke", help="revoke a token at once")
    revoke.add_argument("id", metavar="ID", help="the token's id, as `token list` prints it")

    mapping = commands.add_parser("mapping", help="declarative mappings for GeoJSON, CSV and iCalendar feeds")
    mapping_commands = mapping.add_subparsers(dest="mapping_command", metavar="ACTION", required=True)
    suggest = mapping_commands.add_parser(
        "suggest", help="print a mapping for FILE, usable as it is: mutualisons mapping suggest feed.csv > map.toml")
    suggest.add_argument("file", metavar="FILE")
    suggest.add_argument("--format", choices=[fmt.name for fmt in formats if fmt.suggest is not None],
                         help="the file's format (sniffed if absent)")
    return parser


class _Removed(argparse.Action):
    """An option that no longer exists: a usage error (exit 2) that says why, not argparse's bare
    "unrecognized arguments"."""

    def __init__(self, option_strings: Sequence[str], dest: str, removed: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs="?", **kwargs)
        self.removed = removed

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        parser.error(self.removed)


def _store_url(text: str) -> StoreConfig:
    try:
        return store_config.from_url(text)
    except store_config.StoreConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def _error(message: str, code: int) -> int:
    """Every command reports an error the same way: one line on standard error, and an exit code."""
    print(f"mutualisons: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
    except FormatTableError as error:  # a format package that is broken or missing: nothing can be read
        return _error(f"the table of feed formats cannot be built: {error}", EXIT_USAGE)
    args = parser.parse_args(argv)
    # The base IRI: --base-iri, else $MUTUALISONS_BASE_IRI, else the one the data folder was created with (its
    # IRIs are minted already), else for `serve` the address it listens on (it mints what it serves).
    base_iri = args.base_iri
    if base_iri is None and not os.environ.get("MUTUALISONS_BASE_IRI"):
        base_iri = DataDir(Path(args.data or "data")).recorded_base_iri()
    settings = Settings.resolve(args.sources, args.data, base_iri,
                                getattr(args, "host", None), getattr(args, "port", None),
                                getattr(args, "store", None))
    try:
        if args.command not in ("validate", "mapping"):
            DataDir(settings.data_dir).record_base_iri(settings.base_iri)
        handler = {"harvest": _harvest, "serve": _serve, "validate": _validate, "sources": _sources,
                   "mapping": _mapping, "load": _load, "confirm-removal": _confirm_removal,
                   "token": _token}[args.command]
        return handler(settings, args)
    except BaseIriMismatch as error:
        return _error(str(error), EXIT_USAGE)
    except ProfileError as error:
        return _error(f"invalid hub profile: {error}", EXIT_USAGE)
    except store_config.StoreConfigError as error:
        return _error(f"invalid store settings: {error} (docs/stores.md)", EXIT_USAGE)
    except StoreUnavailable as error:
        return _error(f"the store is unavailable: {error}", EXIT_FAILED)
    except ConfigError as error:
        return _error(f"invalid sources file: {error}", EXIT_USAGE)


def _harvest(settings: Settings, args: argparse.Namespace) -> int:
    from hub.pipeline.harvest import UnknownSource, harvest

    try:
        summary = harvest(settings, args.ids, progress=lambda line: print(line, file=sys.stderr, flush=True),
                          due_only=args.due, compact=args.compact)
    except UnknownSource as error:
        return _error(str(error), EXIT_USAGE)
    except HarvestRunning as error:
        return _error(str(error), EXIT_FAILED)
    for run in summary.runs:
        counts = ", ".join(f"{name} {value}" for name, value in run.counts.items())
        print(f"{run.source_id}: {run.status} ({counts})")
    return EXIT_FAILED if summary.failed else EXIT_OK



def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from hub.gateway.app import create_app
    from hub.gateway.client_address import TrustedProxies
    from hub.gateway.sparql import SparqlOptions
    from hub.pages.options import OSM_ATTRIBUTION, OSM_TILES, PageOptions

    if args.query_workers < 2:
        return _error("--query-workers must be at least 2, so that one slow query never blocks all", EXIT_USAGE)
    if args.query_memory is not None and args.query_memory < MIN_QUERY_MEMORY_MIB:
        return _error(f"--query-memory must be at least {MIN_QUERY_MEMORY_MIB} MiB: a query worker needs about "
                      f"500 MiB of address space before its first query", EXIT_USAGE)
    try:
        trusted = TrustedProxies.parse(args.trusted_proxy)
    except ValueError as error:
        return _error(str(error), EXIT_USAGE)
    options = SparqlOptions(deadline=args.query_deadline, max_rows=args.max_rows,
                            workers=args.query_workers,
                            memory_mib=args.query_memory or default_query_memory_mib(args.query_workers),
                            client_queries=args.client_queries,
                            max_waiting=args.query_queue, max_query_bytes=args.max_query_bytes)
    print(f"serving {settings.data_dir} on http://{args.host}:{args.port}/ (base IRI {settings.base_iri}; "
          f"SPARQL deadline {options.deadline:g} s, {options.max_rows} rows, {options.workers} workers "
          f"of {options.memory_mib} MiB)",
          file=sys.stderr)
    pages = PageOptions.from_environment()
    if args.tiles is not None:
        pages = PageOptions(tiles=args.tiles, attribution="" if args.tiles != OSM_TILES else OSM_ATTRIBUTION)
    if args.schedule:
        print("harvesting due sources in the background (--schedule): see data/harvest.log", file=sys.stderr)
    if trusted:
        print(f"clients behind {', '.join(trusted.as_strings())} are read from X-Forwarded-For (--trusted-proxy)",
              file=sys.stderr)
    app = create_app(settings, options, pages, schedule=args.schedule, trusted_proxies=trusted)
    # uvicorn reads X-Forwarded-For and -Proto from the same trusted proxies only (by default it would
    # trust 127.0.0.1's); the per-client limits read the client through hub/gateway/client_address.py.
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", forwarded_allow_ips=trusted.as_strings(),
                timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS)
    return EXIT_OK


def _load(settings: Settings, args: argparse.Namespace) -> int:
    from hub.pipeline.admin_load import LoadError, load_file

    try:
        loaded = load_file(settings, Path(args.file), args.graph, who=args.by, license_iri=args.license,
                           rdf_format=args.format)
    except LoadError as error:
        return _error(str(error), EXIT_USAGE)
    except HarvestRunning as error:
        return _error(str(error), EXIT_FAILED)
    print(f"loaded {loaded.triples} triples into <{loaded.graph}> (sha256 {loaded.sha256}); "
          f"published generation {loaded.generation}")
    return EXIT_OK


def _validate(settings: Settings, args: argparse.Namespace) -> int:
    from hub.charter.area import ServiceArea
    from hub.charter.validation import Charter
    from hub.pipeline.check import check_file, format_report
    from hub.pipeline.fetch import FetchError

    for name in args.profile:
        problem = unknown_profile(name)
        if problem is not None:
            return _error(f"--profile: {problem}", EXIT_USAGE)
    # The hub's profile a harvest would judge by: the hub.toml beside --sources, else the default.
    charter = Charter(area=ServiceArea.of(profile_path(settings.sources_path)), profiles=args.profile)
    try:
        report = check_file(Path(args.file), args.format, Minter(settings.base_iri), charter,
                            mapping_path=Path(args.mapping) if args.mapping else None, language=args.language)
    except FetchError as error:  # missing, unreadable, or over the size a source's document may have
        return _error(f"{args.file}: {error.reason}", EXIT_USAGE)
    except LiftError as error:
        return _error(f"unreadable document: {messages.lift_error(error)}", EXIT_USAGE)
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_report(report, args.lang))
    return EXIT_OK if report.conforms else EXIT_FAILED


def _mapping(settings: Settings, args: argparse.Namespace) -> int:
    from harvesters.suggest import suggest

    try:
        suggestion = suggest(Path(args.file), args.format)
        print(suggestion.text, end="")
        for line in suggestion.check:  # the self-check, also where a redirected stdout does not hide it
            print(line, file=sys.stderr)
    except OSError as error:
        return _error(f"cannot read {args.file}: {error.strerror}", EXIT_USAGE)
    except LiftError as error:
        return _error(f"unreadable document: {messages.lift_error(error)}", EXIT_USAGE)
    return EXIT_OK


def _confirm_removal(settings: Settings, args: argparse.Namespace) -> int:
    import getpass

    from hub.archive import state as harvest_state

    known = [source.id for source in load_sources(settings.sources_path)]
    if args.id not in known:
        return _error(f"unknown source id {args.id!r}; known: {', '.join(sorted(known))}", EXIT_USAGE)
    try:
        held = harvest_state.confirm_removal(DataDir(settings.data_dir), args.id, args.by or getpass.getuser())
    except harvest_state.NothingHeld as error:
        return _error(str(error), EXIT_FAILED)
    except HarvestRunning as error:
        return _error(f"{error}: confirm once it has ended", EXIT_FAILED)
    print(f"{args.id}: removal of {held.held} record(s) confirmed (held by run {held.run}); the source's next "
          f"harvest removes them: mutualisons harvest {args.id}")
    return EXIT_OK


def _token(settings: Settings, args: argparse.Namespace) -> int:
    from hub.archive import tokens

    data = DataDir(settings.data_dir)
    if args.token_command == "create":
        known = [source.id for source in load_sources(settings.sources_path)]
        if args.source not in known:
            return _error(f"unknown source id {args.source!r}; known: {', '.join(sorted(known))}", EXIT_USAGE)
        token, secret = tokens.create(data, args.source, args.label)
        print(secret)
        print(f"token {token.id} for source {token.source}: give it to the network, it is not shown again "
              f"(the hub keeps only its hash); revoke it with `mutualisons token revoke {token.id}`", file=sys.stderr)
        return EXIT_OK
    if args.token_command == "revoke":
        gone = tokens.revoke(data, args.id)
        if gone is None:
            return _error(f"no token {args.id!r}: `mutualisons token list` shows the ids", EXIT_USAGE)
        print(f"token {gone.id} of source {gone.source} revoked")
        return EXIT_OK
    print(f"{'id':<10} {'source':<28} {'created (UTC)':<28} label")
    for token in tokens.tokens(data):
        print(f"{token.id:<10} {token.source:<28} {token.created:<28} {token.label}")
    return EXIT_OK


def _sources(settings: Settings, args: argparse.Namespace) -> int:
    from hub.gateway.sources import source_table
    from hub.store.reader import NotPublished, PublishedReader

    configured = load_sources(settings.sources_path)
    try:
        published = {entry["id"]: entry for entry in source_table(PublishedReader(settings))}
    except NotPublished:
        published = {}
    header = f"{'id':<28} {'status':<10} {'accepted':>8} {'rejected':>8}  last run (UTC)"
    print(header)
    print("-" * len(header))
    for source in configured:
        run = (published.get(source.id) or {}).get("last_run")
        if run is None:
            print(f"{source.id:<28} {'never':<10} {'-':>8} {'-':>8}  -")
            continue
        counts = run["counts"]
        print(f"{source.id:<28} {run['status']:<10} {counts.get('accepted', 0):>8} "
              f"{counts.get('rejected', 0):>8}  {run['ended']}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
