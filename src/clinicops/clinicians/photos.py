"""Clinicians' profile pictures on local disk, under ``DATA_DIR/uploads/clinicians``.

A stored file is named by a random token plus the extension of its detected type (never the uploader's file name),
so a served name is checked against :data:`NAME` and can never reach outside the directory. The type is read from
the file's first bytes, not from what the client claims.

One server only: a deployment with several servers needs DATA_DIR on shared storage (or an object store) for every
server to find every picture (docs/clinicians.md).
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from clinicops.config import Settings

MAX_BYTES = 2 * 1024 * 1024
URL_PATH = "/api/uploads/clinicians"
NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp)$")
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def directory(settings: Settings) -> Path:
    return Path(settings.data_dir) / "uploads" / "clinicians"


def detect(head: bytes) -> str | None:
    """The extension of a JPEG, PNG or WebP image from its magic number, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def save(settings: Settings, data: bytes, extension: str) -> str:
    """Write ``data`` under a fresh random name; returns the name. Blocking (call it off the event loop)."""
    folder = directory(settings)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{extension}"
    partial = folder / f".{name}.part"
    partial.write_bytes(data)
    os.replace(partial, folder / name)  # readers never see a half-written file
    return name


def locate(settings: Settings, name: str) -> tuple[Path, str] | None:
    """The stored file and its content type, or None for a name this module never generates or a missing file."""
    match = NAME.fullmatch(name)
    if match is None:
        return None
    path = directory(settings) / name
    if not path.is_file():
        return None
    return path, CONTENT_TYPES[match.group(1)]


def public_url(settings: Settings, name: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}{URL_PATH}/{name}"
