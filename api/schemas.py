"""Input types shared by the routers: clean text, sane dates, referential codes, ids, pages."""

import datetime
from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

from cep.common import keyset

MIN_DATE, MAX_DATE = datetime.date(1900, 1, 1), datetime.date(2100, 12, 31)
MAX_ID = 2**63 - 1


def _clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Le caractère nul (\\u0000) n'est pas autorisé.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Texte mal encodé (UTF-8 attendu).")
    return value


def _sane_date(value: datetime.date) -> datetime.date:
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValueError("Date hors de la plage acceptée (1900-01-01 à 2100-12-31).")
    return value


def Text(max_length: int):  # noqa: N802 (a type factory)
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(_clean_text)]


Day = Annotated[datetime.date, AfterValidator(_sane_date)]
Code = Annotated[
    str,
    StringConstraints(max_length=40),
    AfterValidator(_clean_text),
    Field(description="Code d'une valeur de référentiel (voir /referentials/{nom})."),
]
ObjectId = Annotated[int, Field(ge=1, le=MAX_ID)]
Limit = Annotated[int, Field(ge=1, le=100, description="Nombre d'éléments par page (100 au plus).")]
Cursor = Annotated[
    str,
    StringConstraints(max_length=keyset.MAX_LENGTH),
    AfterValidator(_clean_text),
    Field(description="Curseur opaque renvoyé par la page précédente (next_cursor)."),
]


class In(Schema):
    """Input bodies refuse unknown fields."""

    model_config = ConfigDict(extra="forbid")
