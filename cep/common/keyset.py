"""The one codec of keyset-pagination cursors, for pages and the API alike.

A cursor is the sort key of the last row of a page: a tuple of typed values (str, int, datetime.date), turned
into an opaque URL-safe string (base64url of a compact JSON list, dates as ISO text, no padding).

`decode` answers None (the first page) for anything it did not produce: not text, too long, not base64url,
not JSON, another shape, a NUL byte or a lone surrogate in a text (PostgreSQL refuses both), an integer outside
PostgreSQL's bigint. It never raises: a hand-edited URL is the first page, never a 500.
"""

import base64
import binascii
import datetime
import json
import re
from collections.abc import Sequence

# Longest cursor accepted, in characters. The longest sort key is an offer name (200 characters) with its id;
# even in 4-byte characters or JSON escapes its cursor stays well below.
MAX_LENGTH = 2048
_ALPHABET = re.compile(r"[A-Za-z0-9_-]*={0,2}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_BIGINT = (-(2**63), 2**63 - 1)

Value = str | int | datetime.date
Shape = Sequence[type]


def _plain(value) -> str | int:
    if isinstance(value, bool):
        raise ValueError("keyset: a boolean is not a sort key")
    if isinstance(value, int):
        if not _BIGINT[0] <= value <= _BIGINT[1]:
            raise ValueError("keyset: integer outside the bigint range")
        return value
    if isinstance(value, datetime.datetime):
        raise ValueError("keyset: a datetime is not a supported sort key (only dates)")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        if not _valid_text(value):
            raise ValueError("keyset: text with a NUL byte or a lone surrogate")
        return value
    raise ValueError(f"keyset: unsupported value {type(value).__name__}")


def _valid_text(value: str) -> bool:
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogate, e.g. from "\ud800" in the JSON
        return False
    return True


def encode(values: Sequence[Value]) -> str:
    """The cursor of a sort key. Raises ValueError for a value that decode would refuse (a programming error)."""
    raw = json.dumps([_plain(v) for v in values], separators=(",", ":"), ensure_ascii=False).encode()
    cursor = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    if len(cursor) > MAX_LENGTH:
        raise ValueError("keyset: sort key too long for a cursor")
    return cursor


def _typed(value, kind: type):
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool) and _BIGINT[0] <= value <= _BIGINT[1]:
            return value
    elif kind is str:
        if isinstance(value, str) and _valid_text(value):
            return value
    elif kind is datetime.date:
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            try:
                return datetime.date.fromisoformat(value)
            except ValueError:
                pass
    else:
        raise TypeError(f"keyset: unsupported kind {kind!r}")  # the caller's shape is wrong, not the cursor
    return None


def decode(cursor, shape: Shape) -> tuple | None:
    """The sort key of `cursor` if it has exactly `shape` (e.g. (str, int), (datetime.date, int)), else None."""
    for kind in shape:
        if kind not in (str, int, datetime.date):
            raise TypeError(f"keyset: unsupported kind {kind!r}")
    if not isinstance(cursor, str) or not cursor or len(cursor) > MAX_LENGTH or not _ALPHABET.fullmatch(cursor):
        return None
    body = cursor.rstrip("=")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        values = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeError, RecursionError):
        return None
    if not isinstance(values, list) or len(values) != len(shape):
        return None
    typed = tuple(_typed(value, kind) for value, kind in zip(values, shape, strict=True))
    if any(v is None for v in typed):
        return None
    return typed


def parse_id(text) -> int | None:
    """A positive id typed in a URL (ASCII digits only, within bigint), else None; never raises.

    `"²".isdigit()` is True and `int("²")` raises ValueError: `isdigit()` is not a parser.
    """
    if not isinstance(text, str) or not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if 1 <= value <= _BIGINT[1] else None
