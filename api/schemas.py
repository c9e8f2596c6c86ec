"""Input types shared by the routers: clean text, sane dates, referential codes, ids, pages."""

import datetime
from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

from cep.common import keyset

MIN_DATE, MAX_DATE = datetime.date(1900, 1, 1), datetime.date(2100, 12, 31)
MAX_ID = 2**63 - 1

# The dates the API accepts, 1900-01-01 to 2100-12-31, as a pattern (published beside `format: date`, with the
# bounds as x-minimum / x-maximum: JSON Schema has no bounds for a date). Leap years: every fourth year, 2000
# included, 1900 and 2100 not.
_YEAR = r"(?:19\d\d|20\d\d|2100)"
DATE_PATTERN = (
    rf"^(?:{_YEAR}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])"
    rf"|{_YEAR}-(?:0[13-9]|1[0-2])-(?:29|30)"
    rf"|{_YEAR}-(?:0[13578]|1[02])-31"
    r"|(?:19(?:0[48]|[2468][048]|[13579][26])|20(?:[02468][048]|[13579][26]))-02-29)$"
)
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"
COMMUNE_PATTERN = r"^(?:\d{5}|2[AB]\d{3})$"


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


# Published on every free text: PostgreSQL refuses the NUL character, so does the API (422).
NO_NUL = {"pattern": "^[^\\u0000]*$"}


def Text(max_length: int):  # noqa: N802 (a type factory)
    return Annotated[
        str, StringConstraints(max_length=max_length), AfterValidator(_clean_text), Field(json_schema_extra=NO_NUL)
    ]


Day = Annotated[
    datetime.date,
    AfterValidator(_sane_date),
    Field(
        json_schema_extra={
            "pattern": DATE_PATTERN,
            "x-minimum": MIN_DATE.isoformat(),
            "x-maximum": MAX_DATE.isoformat(),
        }
    ),
]
Code = Annotated[
    str,
    StringConstraints(max_length=40),
    AfterValidator(_clean_text),
    Field(description="Code d'une valeur de référentiel (voir /referentials/{nom}).", json_schema_extra=NO_NUL),
]


def Ref(name: str):  # noqa: N802 (a type factory)
    """A code of the referential /referentials/{name}: published as the enum of the codes in force the day the
    schema is read (api.main.CepApi)."""
    return Annotated[
        str,
        StringConstraints(max_length=40),
        AfterValidator(_clean_text),
        Field(
            description=f"Code du référentiel « {name} » (valeurs en vigueur : /api/v1/referentials/{name}).",
            json_schema_extra={"x-referential": name},
        ),
    ]


Commune = Annotated[
    str,
    StringConstraints(max_length=5, pattern=COMMUNE_PATTERN),
    Field(description="Code INSEE de la commune (5 caractères : chiffres, ou 2A/2B et trois chiffres)."),
]
ObjectId = Annotated[int, Field(ge=1, le=MAX_ID)]
Limit = Annotated[int, Field(ge=1, le=100, description="Nombre d'éléments par page (100 au plus).")]
Cursor = Annotated[
    str,
    StringConstraints(max_length=keyset.MAX_LENGTH, pattern=CURSOR_PATTERN),
    Field(
        description="Curseur renvoyé par la page précédente (next_cursor), à reprendre tel quel : texte base64url "
        "sans remplissage. Un curseur de cette forme que le serveur n'a pas écrit répond 409 (CURSEUR)."
    ),
]


class In(Schema):
    """Input bodies refuse unknown fields."""

    model_config = ConfigDict(extra="forbid")
