"""The layout of the data folder, and the base IRI recorded in it on first use.

    data/base-iri              the base IRI this data was minted under
    data/provenance-model      the provenance model of the last harvest's generation (hub/pipeline/migration.py)
    data/working/              the working store (one writer: the harvest)
    data/working.dirty         present while a harvest changes the working store
    data/generations/N/        published generations (read-only RocksDB checkpoints)
    data/generations/CURRENT   the number of the generation readers open
    data/dumps/N.nq.gz         the public dump of generation N (hub/store/dump.py)
    data/harvest.lock          the writer's lock, holding its pid
    data/private/              what no query reaches: quarantine and payloads
    data/private/scratch/      the running harvest's temporary files (emptied when a harvest starts)
    data/private/tokens.json   publisher tokens' hashes (hub/archive/tokens.py)
    data/private/pushed/       documents networks pushed (hub/archive/pushed.py)
    data/private/warnings/     each run's warnings with their records (hub/archive/warnings.py)
    data/private/reports/      reports on entities (hub/archive/reports.py)
    data/private/contacts/     persons listed for the networks only (hub/archive/contact_book.py)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class BaseIriMismatch(Exception):
    """The data folder was minted under another base IRI."""


@dataclass(frozen=True)
class DataDir:
    root: Path

    @property
    def provenance_model(self) -> Path:
        return self.root / "provenance-model"

    @property
    def working(self) -> Path:
        return self.root / "working"

    @property
    def dirty_marker(self) -> Path:
        return self.root / "working.dirty"

    @property
    def generations(self) -> Path:
        return self.root / "generations"

    @property
    def current_pointer(self) -> Path:
        return self.generations / "CURRENT"

    @property
    def lock_file(self) -> Path:
        return self.root / "harvest.lock"

    @property
    def private(self) -> Path:
        return self.root / "private"

    @property
    def quarantine(self) -> Path:
        return self.private / "quarantine"

    @property
    def payloads(self) -> Path:
        return self.private / "payloads"

    @property
    def scratch(self) -> Path:
        return self.private / "scratch"

    def recorded_base_iri(self) -> str | None:
        """The base IRI the folder was created with, or None for a new folder."""
        marker = self.root / "base-iri"
        return marker.read_text(encoding="utf-8").strip() or None if marker.exists() else None

    def record_base_iri(self, base_iri: str) -> None:
        """Records the base IRI on first use; refuses to mix two base IRIs in one data folder."""
        marker = self.root / "base-iri"
        if marker.exists():
            recorded = marker.read_text(encoding="utf-8").strip()
            if recorded != base_iri:
                raise BaseIriMismatch(
                    f"{self.root} was created with base IRI {recorded} but this command uses {base_iri}; "
                    f"use --base-iri {recorded} or another --data folder"
                )
            return
        self.root.mkdir(parents=True, exist_ok=True)
        marker.write_text(base_iri + "\n", encoding="utf-8")

