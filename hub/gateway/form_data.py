"""A `multipart/form-data` body read into its fields: a document and its mapping sent by a form or `curl -F`.

The body is already read whole and capped (hub/gateway/validate.py); the standard library's MIME parser splits
it (no dependency for one form). A field keeps its bytes, its file name (the base name only: never a path) and
its Content-Type.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import PurePosixPath, PureWindowsPath

MAX_FIELDS = 20  # a check's form has a handful; more is not a check's form


@dataclass(frozen=True)
class Field:
    value: bytes
    filename: str | None = None
    content_type: str | None = None


class Form(dict[str, Field]):
    def text(self, name: str) -> str:
        """A field's value as text ("" when it is absent)."""
        found = self.get(name)
        return found.value.decode("utf-8", errors="replace").strip() if found is not None else ""


def read_form(body: bytes, content_type: str) -> Form:
    """The fields of a multipart/form-data body (the first of each name); an unreadable body has none."""
    message = message_from_bytes(b"Content-Type: " + content_type.encode("latin-1", errors="replace") + b"\r\n\r\n"
                                 + body, policy=policy.HTTP)
    form = Form()
    if not message.is_multipart():
        return form
    for part in list(message.iter_parts())[:MAX_FIELDS]:
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or name in form:
            continue
        payload = part.get_payload(decode=True)
        filename = part.get_filename()
        form[name] = Field(payload if isinstance(payload, bytes) else b"",
                           _base_name(filename) if filename else None,
                           part.get_content_type() if part.get("content-type") else None)
    return form


def _base_name(filename: str) -> str:
    """The file's name without any folder a browser or a client put before it."""
    return PureWindowsPath(PurePosixPath(filename).name).name[:200]
