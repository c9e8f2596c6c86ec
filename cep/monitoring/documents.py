"""Checking an uploaded regional document: its size, its extension and what its first bytes say it is."""

import hashlib
from dataclasses import dataclass

from cep.common.errors import RuleViolation

MAX_BYTES = 10 * 1024 * 1024
_ZIP = b"PK\x03\x04"
# extension → (content type, the bytes the file starts with)
ALLOWED = {
    "pdf": ("application/pdf", b"%PDF-"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _ZIP),
    "odt": ("application/vnd.oasis.opendocument.text", _ZIP),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", _ZIP),
    "odp": ("application/vnd.oasis.opendocument.presentation", _ZIP),
    "png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    "jpg": ("image/jpeg", b"\xff\xd8\xff"),
    "jpeg": ("image/jpeg", b"\xff\xd8\xff"),
}
ALLOWED_LABEL = "PDF, DOCX, XLSX, PPTX, ODT, ODS, ODP, PNG ou JPEG"


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    content: bytes
    sha256: str


def check_upload(filename: str, chunks) -> CheckedFile:
    """Read the file (an iterable of byte chunks) up to the limit and refuse anything else than the allowed types,
    whose first bytes must match the extension (a renamed executable is refused)."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED:
        raise RuleViolation("SAISIE", f"Type de fichier refusé : déposez un fichier {ALLOWED_LABEL}.", field="file")
    content_type, magic = ALLOWED[extension]
    data, size = bytearray(), 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_BYTES:
            raise RuleViolation("SAISIE", "Fichier trop volumineux : 10 Mo au plus.", field="file")
        data += chunk
    if not data:
        raise RuleViolation("SAISIE", "Le fichier est vide.", field="file")
    if not bytes(data[: len(magic)]) == magic:
        raise RuleViolation(
            "SAISIE",
            f"Le contenu du fichier ne correspond pas à son extension « .{extension} » : fichier refusé.",
            field="file",
        )
    content = bytes(data)
    return CheckedFile(name, content_type, content, hashlib.sha256(content).hexdigest())
