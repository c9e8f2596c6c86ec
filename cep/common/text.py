import re
import unicodedata

_SPACES = re.compile(r"[^a-z0-9]+")


def normalize_name(value: str) -> str:
    """Accent- and case-insensitive form of a name: 'Éloïse  D'Arc-Noël' -> 'eloise d arc noel'."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    ascii_only = ascii_only.replace("œ", "oe").replace("æ", "ae")
    return _SPACES.sub(" ", ascii_only).strip()


_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_text(rule: str, max_lengths: dict[str, int] | None = None, **fields) -> None:
    """Refuse control characters (PostgreSQL rejects NUL) and over-long values with a clear French message."""
    from .errors import Violations

    found = Violations()  # every refused field at once
    for name, value in fields.items():
        if not isinstance(value, str):
            continue
        if _FORBIDDEN.search(value):
            found.add(rule, "Ce texte contient des caractères non autorisés.", field=name)
            continue
        limit = (max_lengths or {}).get(name)
        if limit is not None and len(value) > limit:
            found.add(rule, f"Ce texte ne dépasse pas {limit} caractères.", field=name)
    found.raise_if_any()


def model_max_lengths(model) -> dict[str, int]:
    return {f.name: f.max_length for f in model._meta.concrete_fields if getattr(f, "max_length", None)}


def de_name(name) -> str:
    """« de » before a name, elided before a vowel sound: « d'Aurélie », « d'Amélie Godard », « de Léa ».

    A name starting with a vowel (accented or not) is elided; an « h » is not (aspirated or not, it cannot be told
    from the name alone), nor a « y » (Yann, Yasmine).
    """
    text = str(name or "").strip()
    if not text:
        return "de"
    first = unicodedata.normalize("NFD", text[0])[0].lower()
    return f"d'{text}" if first in "aeiou" else f"de {text}"
