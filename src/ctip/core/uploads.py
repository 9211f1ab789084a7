"""Checking uploaded files: size, and type by content (not by the name the sender chose)."""

from __future__ import annotations

from pathlib import PurePath
from typing import IO, Any

from django.utils.translation import gettext as _

from ctip.core.errors import ActionError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024

# extension → (kind, check of the first bytes)
_ZIP = (b"PK\x03\x04",)
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
SIGNATURES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("document", (b"%PDF-",)),
    ".docx": ("document", _ZIP),
    ".xlsx": ("document", _ZIP),
    ".pptx": ("document", _ZIP),
    ".odt": ("document", _ZIP),
    ".doc": ("document", _OLE),
    ".xls": ("document", _OLE),
    ".ppt": ("document", _OLE),
    ".txt": ("document", ()),
    ".png": ("image", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image", (b"\xff\xd8\xff",)),
    ".jpeg": ("image", (b"\xff\xd8\xff",)),
    ".gif": ("image", (b"GIF87a", b"GIF89a")),
    ".webp": ("image", (b"RIFF",)),
    ".mp3": ("audio", (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")),
    ".m4a": ("audio", ()),
    ".wav": ("audio", (b"RIFF",)),
    ".ogg": ("audio", (b"OggS",)),
}


def check_upload(upload: Any, *, kinds: set[str] | None = None,
                 max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """Return the kind ("document", "image" or "audio") of an acceptable upload, or refuse it
    with a message that says what is wrong."""
    name = getattr(upload, "name", "") or ""
    size = getattr(upload, "size", None)
    if size is None:
        raise ActionError(_("The file could not be read."))
    if size > max_bytes:
        raise ActionError(
            _("“%(name)s” is %(size).1f MB; the limit is %(limit)d MB.")
            % {"name": name, "size": size / 1024 / 1024, "limit": max_bytes // 1024 // 1024})
    if size == 0:
        raise ActionError(_("“%(name)s” is empty.") % {"name": name})
    extension = PurePath(name).suffix.lower()
    allowed = {ext for ext, (kind, _sig) in SIGNATURES.items() if kinds is None or kind in kinds}
    if extension not in allowed:
        raise ActionError(
            _("“%(name)s” is not an accepted file type. Accepted: %(types)s.")
            % {"name": name, "types": ", ".join(sorted(allowed))})
    kind, signatures = SIGNATURES[extension]
    head = _head(upload.file if hasattr(upload, "file") else upload)
    if extension == ".m4a" and head[4:8] != b"ftyp":
        signatures = (b"\x00never",)
    if signatures and not any(head.startswith(sig) for sig in signatures):
        raise ActionError(
            _("“%(name)s” does not contain what its name says (%(ext)s); it was not saved.")
            % {"name": name, "ext": extension})
    if extension == ".webp" and head[8:12] != b"WEBP":
        raise ActionError(_("“%(name)s” is not a WebP image.") % {"name": name})
    if extension == ".wav" and head[8:12] != b"WAVE":
        raise ActionError(_("“%(name)s” is not a WAV sound file.") % {"name": name})
    return kind


def _head(stream: IO[bytes]) -> bytes:
    position = stream.tell() if hasattr(stream, "tell") else 0
    head = stream.read(16)
    if hasattr(stream, "seek"):
        stream.seek(position)
    return head if isinstance(head, bytes) else head.encode()
