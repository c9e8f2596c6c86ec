"""Template columns and cell parsers shared by every kind of file (docs/import.md)."""

import datetime
import re
from dataclasses import dataclass

from cep.common.text import normalize_name

_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_FR = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
YES = frozenset({"oui", "o", "1", "vrai", "x", "yes", "true"})
NO = frozenset({"non", "n", "0", "faux", "no", "false"})


class CellError(Exception):
    """A refused cell: the rule and the French reason (the line and the column are added by the caller)."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule, self.message = rule, message


@dataclass(frozen=True)
class Column:
    name: str  # as written in the template's header
    label: str  # French, for the doc and the refusals
    required: bool = False
    help: str = ""
    example: str = ""
    aliases: tuple[str, ...] = ()


def header_key(text: str) -> str:
    """« Date de naissance* » → « date_de_naissance »: how a file's header is matched to the template."""
    return re.sub(r"[^a-z0-9]+", "_", normalize_name(text or "")).strip("_")


def map_columns(header: list[str], columns: tuple[Column, ...]) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """(template column -> index in the row, file header -> template column, ignored headers); raises CellError
    naming a missing required column or a column given twice."""
    known = {}
    for column in columns:
        for key in (column.name, *column.aliases):
            known[header_key(key)] = column
    index, mapping, ignored = {}, {}, []
    for position, title in enumerate(header):
        column = known.get(header_key(title))
        if column is None:
            if title.strip():
                ignored.append(title)
            continue
        if column.name in index:
            raise CellError("IMPORT", f"La colonne « {column.name} » figure deux fois dans l'en-tête.")
        index[column.name] = position
        mapping[title] = column.name
    missing = [c.name for c in columns if c.required and c.name not in index]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise CellError(
            "IMPORT",
            f"Colonne{plural} obligatoire{plural} absente{plural} : {', '.join(missing)}. Téléchargez le modèle "
            "pour voir les colonnes attendues.",
        )
    return index, mapping, ignored


def text(value: str, limit: int, label: str) -> str:
    value = value.strip()
    if _FORBIDDEN.search(value):
        raise CellError("SAISIE", f"{label} : ce texte contient des caractères de contrôle (invisibles).")
    if len(value) > limit:
        raise CellError("SAISIE", f"{label} : ce texte ne dépasse pas {limit} caractères ({len(value)} lus).")
    return value


def date(value: str, label: str) -> datetime.date:
    value = value.strip()
    match = _FR.fullmatch(value)
    if match:
        day, month, year = (int(g) for g in match.groups())
    elif match := _ISO.fullmatch(value):
        year, month, day = (int(g) for g in match.groups())
    else:
        raise CellError("SAISIE", f"{label} : « {value[:40]} » n'est pas une date (format attendu jj/mm/aaaa).")
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise CellError("SAISIE", f"{label} : le {value} n'existe pas dans le calendrier.") from None


def boolean(value: str, label: str) -> bool | None:
    key = value.strip().lower()
    if not key:
        return None
    if key in YES:
        return True
    if key in NO:
        return False
    raise CellError("SAISIE", f"{label} : répondez « oui » ou « non » (lu : « {value[:40]} »).")


def referential(value: str, values: dict[str, str], label: str) -> str:
    """The code of a referential value written as its code or its label (accents and case ignored)."""
    code = values.get(value)  # the code itself, as most files write it
    if code is not None:
        return code
    code = values.get(header_key(value))
    if code is None:
        shown = ", ".join(sorted(set(values.values())))
        raise CellError("REFERENTIEL", f"{label} : valeur inconnue « {value[:60]} » (codes possibles : {shown}).")
    return code


def referential_lookup(model) -> dict[str, str]:
    """Normalised code and label -> code, for every value of a referential (withdrawn ones too: old dossiers)."""
    lookup = {}
    for code, label in model.objects.values_list("code", "label"):
        lookup[header_key(label)] = code
        lookup[header_key(code)] = code
        lookup[code] = code
    return lookup
