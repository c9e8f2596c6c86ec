import re
import unicodedata

_SPACES = re.compile(r"[^a-z0-9]+")


def normalize_name(value: str) -> str:
    """Accent- and case-insensitive form of a name: 'Éloïse  D'Arc-Noël' -> 'eloise d arc noel'."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    ascii_only = ascii_only.replace("œ", "oe").replace("æ", "ae")
    return _SPACES.sub(" ", ascii_only).strip()
