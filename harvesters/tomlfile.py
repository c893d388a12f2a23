"""Reading a TOML file (sources.toml, a mapping) with errors that name the file and the reason."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any


def read_toml(path: Path, error: Callable[[str], Exception], what: str = "") -> tuple[str, dict[str, Any]]:
    """The file's text (for locating keys: tomllib reports no positions) and its tables. A file that
    cannot be read or is not TOML raises `error(message)`; `what` names the file in the message."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as problem:
        raise error(f"{path}: cannot read{what}: {problem.strerror}") from problem
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as problem:
        raise error(f"{path}: not valid TOML: {problem}") from problem
