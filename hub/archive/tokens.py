"""Publisher tokens: a network's key to its own source (docs/publishers.md).

`mutualisons token create SOURCE` prints a token once; the hub keeps only its SHA-256, in
`data/private/tokens.json`, with an id (to list and revoke it), the source it opens and when it was made. A token
is 32 random bytes: a plain SHA-256 is enough to keep it from being read back from the file (no password to
stretch), and it is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from hub.archive import jsonfile
from hub.archive.datadir import DataDir
from hub.core.durations import now_iso

PREFIX = "mps_"  # says what the secret is when it turns up in a log or a shell history


@dataclass(frozen=True)
class Token:
    id: str
    source: str
    created: str
    sha256: str
    label: str = ""


def _path(data: DataDir) -> Path:
    return data.private / "tokens.json"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def tokens(data: DataDir) -> list[Token]:
    raw = jsonfile.read(_path(data), {"tokens": []})
    found = []
    for entry in raw.get("tokens", []) if isinstance(raw, dict) else []:
        try:
            found.append(Token(**entry))
        except TypeError:
            continue  # an entry someone edited by hand into something else: it opens nothing
    return found


def create(data: DataDir, source_id: str, label: str = "") -> tuple[Token, str]:
    """A new token for the source: its record, and the secret (shown once, never stored)."""
    secret = PREFIX + secrets.token_urlsafe(32)
    with jsonfile.locked(_path(data)):
        known = tokens(data)
        ids = {token.id for token in known}
        token_id = secrets.token_hex(4)
        while token_id in ids:
            token_id = secrets.token_hex(4)
        token = Token(token_id, source_id, now_iso(), _digest(secret), label)
        jsonfile.write(_path(data), {"tokens": [asdict(t) for t in [*known, token]]})
    return token, secret


def revoke(data: DataDir, token_id: str) -> Token | None:
    """Removes the token; returns it, or None when no token has that id."""
    with jsonfile.locked(_path(data)):
        known = tokens(data)
        gone = next((token for token in known if token.id == token_id), None)
        if gone is not None:
            jsonfile.write(_path(data), {"tokens": [asdict(t) for t in known if t.id != token_id]})
    return gone


def find(data: DataDir, secret: str) -> Token | None:
    """The token whose secret this is, or None."""
    if not secret.startswith(PREFIX):
        return None
    digest = _digest(secret)
    found = None
    for token in tokens(data):
        if hmac.compare_digest(token.sha256, digest):
            found = token
    return found
