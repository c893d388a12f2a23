"""`mutualisons`: the command line, mirroring what the API offers.

    mutualisons [--sources FILE] [--data DIR] [--base-iri IRI] COMMAND
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from harvesters.rdf import FORMATS, LiftError
from hub.config import ConfigError, Settings, load_sources
from hub.datadir import BaseIriMismatch, DataDir
from hub.iris import Minter
from hub.lock import HarvestRunning

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mutualisons",
        description="Harvest the feeds of networks of alternatives, check them against the charter, "
                    "and serve them as linked open data with the provenance of every statement.",
    )
    parser.add_argument("--sources", metavar="FILE", help="the source registry (default: examples/sources.toml)")
    parser.add_argument("--data", metavar="DIR", help="where the hub keeps its data (default: ./data)")
    parser.add_argument("--base-iri", metavar="IRI",
                        help="base of the IRIs the hub mints (default: $MUTUALISONS_BASE_IRI or "
                             "http://127.0.0.1:8000/)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    harvest = commands.add_parser("harvest", help="harvest sources (all when none given) and publish")
    harvest.add_argument("ids", nargs="*", metavar="ID", help="source ids from sources.toml")

    serve = commands.add_parser("serve", help="serve the published data over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)

    validate = commands.add_parser("validate", help="check a document against the charter, as a harvest would")
    validate.add_argument("file", metavar="FILE")
    validate.add_argument("--format", choices=sorted(FORMATS), help="the document's format (sniffed if absent)")
    validate.add_argument("--lang", choices=("fr", "nl", "en"), default="en", help="language of the messages")
    validate.add_argument("--language", metavar="TAG", help="tag untagged names like a source with this "
                          "`language` would (sources.toml)")
    validate.add_argument("--json", action="store_true", help="print the verdict as JSON (as POST /api/validate)")

    commands.add_parser("sources", help="list the sources and their last run")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.resolve(args.sources, args.data, args.base_iri)
    try:
        if args.command != "validate":
            DataDir(settings.data_dir).record_base_iri(settings.base_iri)
        handler = {"harvest": _harvest, "serve": _serve, "validate": _validate, "sources": _sources}[args.command]
        return handler(settings, args)
    except BaseIriMismatch as error:
        print(f"mutualisons: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as error:
        print(f"mutualisons: invalid sources file: {error}", file=sys.stderr)
        return EXIT_USAGE


def _harvest(settings: Settings, args: argparse.Namespace) -> int:
    from hub.harvest import UnknownSource, harvest

    try:
        summary = harvest(settings, args.ids, progress=lambda line: print(line, file=sys.stderr, flush=True))
    except UnknownSource as error:
        print(f"mutualisons: {error}", file=sys.stderr)
        return EXIT_USAGE
    except HarvestRunning as error:
        print(f"mutualisons: {error}", file=sys.stderr)
        return EXIT_FAILED
    for run in summary.runs:
        counts = ", ".join(f"{name} {value}" for name, value in run.counts.items())
        print(f"{run.source_id}: {run.status} ({counts})")
    return EXIT_FAILED if summary.failed else EXIT_OK


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from hub.api.app import create_app

    print(f"serving {settings.data_dir} on http://{args.host}:{args.port}/ (base IRI {settings.base_iri})",
          file=sys.stderr)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return EXIT_OK


def _validate(settings: Settings, args: argparse.Namespace) -> int:
    from hub.check import check_file, format_report

    try:
        report = check_file(Path(args.file), args.format, Minter(settings.base_iri), language=args.language)
    except OSError as error:
        print(f"mutualisons: cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return EXIT_USAGE
    except LiftError as error:
        print(f"mutualisons: unreadable document: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_report(report, args.lang))
    return EXIT_OK if report.conforms else EXIT_FAILED


def _sources(settings: Settings, args: argparse.Namespace) -> int:
    from hub.api.sources import source_table
    from hub.reader import NotPublished, PublishedReader

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
