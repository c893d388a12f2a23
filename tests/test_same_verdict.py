"""`mutualisons validate FILE` and a harvest of FILE give the same verdict and the same counts.

Every example feed (examples/sources.toml, each with its source's format, mapping, language and profiles), every
document under tests/fixtures and the Lyon example profile (examples/profiles/lyon, judged by its own hub.toml) is
checked with the CLI (`validate --json`, in this process) and harvested as a source of its own; the accepted,
rejected and warned counts and the status (succeeded, partial, failed) must be the same. The health directory's
documents are also checked with the `health` charter profile, as a source whose `profiles` names it.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub.cli import main
from hub.core.config import Settings, Source, load_sources
from hub.pipeline.harvest import harvest
from tests.conftest import BASE, EXAMPLES, ROOT, quiet

FIXTURES = ROOT / "tests" / "fixtures"
LYON = EXAMPLES / "profiles" / "lyon"


@dataclass(frozen=True)
class Case:
    """One file, read as a source would read it."""

    name: str  # also the id of its source in the harvest
    path: Path
    format: str | None = None
    mapping: Path | None = None
    language: str | None = None
    profiles: tuple[str, ...] = ()
    hub_toml: Path | None = None  # the hub's profile beside its sources.toml (None: the default)


def _documents(source: Source) -> list[Path]:
    paths = []
    for url in source.urls:
        path = source.toml_dir / url.removeprefix("file:")
        paths += sorted(p for p in path.iterdir() if p.is_file()) if url.endswith("/") else [path]
    return paths


def _cases() -> list[Case]:
    cases: list[Case] = []
    for toml, hub_toml in ((EXAMPLES / "sources.toml", None), (LYON / "sources.toml", LYON / "hub.toml")):
        for source in load_sources(toml):
            for path in _documents(source):
                cases.append(Case(f"{source.id}-{path.stem}".lower().replace("_", "-"), path, source.format,
                                  source.mapping_path(), source.language, tuple(source.profiles), hub_toml))
                if source.id == "sante-solidaire":  # the health directory's stricter rules, as `profiles` adds them
                    cases.append(Case(f"health-{path.stem}", path, source.format, None, source.language, ("health",)))
    for path in sorted(FIXTURES.iterdir()):
        if path.suffix in (".ttl", ".jsonld"):
            cases.append(Case(f"fixture-{path.stem}".lower().replace(".", "-"), path))
    return cases


CASES = _cases()


def _validate(case: Case, sources: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    argv = ["--sources", str(sources), "--base-iri", BASE, "validate", str(case.path), "--json"]
    argv += ["--format", case.format] if case.format else []
    argv += ["--mapping", str(case.mapping)] if case.mapping else []
    argv += ["--language", case.language] if case.language else []
    for profile in case.profiles:
        argv += ["--profile", profile]
    code = main(argv)
    out = capsys.readouterr().out
    assert code in (0, 1), out
    report: dict[str, object] = json.loads(out)
    assert (code == 0) == report["conforms"]
    return report


def _harvest_each(cases: list[Case], folder: Path) -> dict[str, tuple[str, dict[str, int], list[str]]]:
    """Each case harvested as a source of its own (one harvest, one sources.toml, its hub.toml beside it)."""
    (folder / "feeds").mkdir(parents=True)
    entries = []
    for case in cases:
        shutil.copy(case.path, folder / "feeds" / f"{case.name}{case.path.suffix}")
        entries.append(
            f'[[source]]\nid = "{case.name}"\nname = "{case.name}"\nurl = "file:feeds/{case.name}{case.path.suffix}"\n'
            'license = "https://creativecommons.org/licenses/by/4.0/"\npublisher = "test"\n'
            'contact = "mailto:test@hub.example"\n'
            + (f'format = "{case.format}"\n' if case.format else "")
            + (f'mapping = "{case.mapping}"\n' if case.mapping else "")
            + (f'language = "{case.language}"\n' if case.language else "")
            + (f"profiles = {json.dumps(list(case.profiles))}\n" if case.profiles else ""))
    toml = folder / "sources.toml"
    toml.write_text("\n".join(entries), encoding="utf-8")
    if cases[0].hub_toml is not None:
        shutil.copy(cases[0].hub_toml, folder / "hub.toml")
    summary = harvest(Settings(toml, folder / "data", BASE), progress=quiet)
    return {run.source_id: (run.status, run.counts, run.errors) for run in summary.runs}


@pytest.mark.parametrize("hub_toml", [None, LYON / "hub.toml"], ids=["default-profile", "lyon-profile"])
def test_validate_and_a_harvest_give_the_same_counts(hub_toml: Path | None, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    cases = [case for case in CASES if case.hub_toml == hub_toml]
    assert len(cases) >= (20 if hub_toml is None else 1)
    harvested = _harvest_each(cases, tmp_path / "hub")
    sources = (LYON if hub_toml else EXAMPLES) / "sources.toml"  # validate judges by the hub.toml beside it
    differences = []
    for case in cases:
        report = _validate(case, sources, capsys)
        status, counts, errors = harvested[case.name]
        checked = (report["status"], {k: report["counts"][k] for k in ("accepted", "rejected", "warned")})  # type: ignore[index]
        harvested_counts = (status, {k: counts[k] for k in ("accepted", "rejected", "warned")})
        if checked != harvested_counts:
            differences.append(f"{case.name}: validate {checked}, harvest {harvested_counts}")
        # The run's errors are the check's (documents named by their own URL in each).
        assert len(report["errors"]) == len(errors), (case.name, report["errors"], errors)  # type: ignore[arg-type]
    assert not differences, "\n".join(differences)
    if hub_toml is None:  # every outcome is covered: feeds that conform, feeds with refusals, one with no record
        assert {harvested[case.name][0] for case in cases} == {"succeeded", "partial", "failed"}
