"""The keyset-cursor codec: any sort key comes back unchanged; any text decodes to a key or to None, never raises."""

import base64
import datetime
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cep.common import keyset

# Texts PostgreSQL stores: no NUL, no lone surrogate; at most 200 characters, the longest sort key (offer name).
texts = st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=200)
ints = st.integers(min_value=-(2**63), max_value=2**63 - 1)
dates = st.dates()
KINDS = {str: texts, int: ints, datetime.date: dates}


@st.composite
def keys(draw):
    shape = draw(st.lists(st.sampled_from(list(KINDS)), min_size=1, max_size=3))
    return tuple(shape), tuple(draw(KINDS[kind]) for kind in shape)


@given(keys())
def test_any_sort_key_round_trips(shape_and_values):
    shape, values = shape_and_values
    cursor = keyset.encode(values)
    assert len(cursor) <= keyset.MAX_LENGTH
    assert all(c.isascii() and (c.isalnum() or c in "-_") for c in cursor)  # URL-safe as is
    assert keyset.decode(cursor, shape) == values


@given(st.text(max_size=3000), st.sampled_from([(str, int), (datetime.date, int), (int,), (str, int, int)]))
def test_decoding_any_text_never_raises(text, shape):
    result = keyset.decode(text, shape)
    if result is not None:
        assert [type(v) for v in result] == list(shape)


@given(st.binary(max_size=1500), st.sampled_from([(str, int), (datetime.date, int), (int,)]))
def test_decoding_any_bytes_behind_base64_never_raises(raw, shape):
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    result = keyset.decode(cursor, shape)
    assert result is None or len(result) == len(shape)


def _cursor(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor, shape",
    [
        (None, (str, int)),
        ("", (str, int)),
        (12, (int,)),
        ("%%%pas-un-curseur", (str, int)),
        ("n'importe-quoi", (datetime.date, int)),
        ("²", (int,)),
        ("A" * (keyset.MAX_LENGTH + 4), (str, int)),
        (_cursor(["durand", 3, 4]), (str, int)),  # wrong length
        (_cursor(["durand", "3"]), (str, int)),  # wrong type
        (_cursor([True, 3]), (int, int)),  # a boolean is not an integer
        (_cursor(["dur\x00and", 3]), (str, int)),  # NUL: PostgreSQL refuses it in a text
        (_cursor(["\ud800", 3]), (str, int)),  # a lone surrogate
        (_cursor([2**63, 1]), (int, int)),  # beyond bigint
        (_cursor(["2026-02-30", 3]), (datetime.date, int)),
        (_cursor(["20260201", 3]), (datetime.date, int)),  # only the ISO form this codec writes
        (_cursor({"a": 1}), (int,)),
        (_cursor(1.5), (int,)),
        (_cursor([float("nan")]), (int,)),
        (_cursor(["x"] * 2), (str,)),
        (base64.urlsafe_b64encode(b"[" * 1400).decode(), (int,)),  # deep nesting
        (base64.urlsafe_b64encode(b"\xff\xfe[1]").decode(), (int,)),  # not UTF-8
    ],
)
def test_tampered_cursors_are_the_first_page(cursor, shape):
    assert keyset.decode(cursor, shape) is None


def test_cursors_written_before_the_codec_still_read():
    """The beneficiary search and the API wrote the same JSON list; the manager pages kept the padding."""
    old_api = base64.urlsafe_b64encode(json.dumps(["2026-05-01", 12], separators=(",", ":")).encode())
    assert keyset.decode(old_api.decode().rstrip("="), (datetime.date, int)) == (datetime.date(2026, 5, 1), 12)
    old_manager = base64.urlsafe_b64encode(json.dumps(["Offre 24", 7]).encode()).decode()
    assert keyset.decode(old_manager, (str, int)) == ("Offre 24", 7)


@pytest.mark.parametrize(
    "values", [("a\x00b",), ("\ud800",), (True,), (2**63,), (datetime.datetime(2026, 1, 1),), (1.5,), ("x" * 3000,)]
)
def test_encoding_refuses_what_decoding_would_refuse(values):
    with pytest.raises(ValueError):
        keyset.encode(values)


def test_an_unsupported_shape_is_a_programming_error():
    with pytest.raises(TypeError):
        keyset.decode(keyset.encode((1,)), (float,))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("12", 12),
        ("²", None),
        ("-3", None),
        ("0", None),
        ("", None),
        (None, None),
        ("9" * 20, None),
        ("١٢", None),
        (" 12", None),
    ],
)
def test_parse_id_is_strict(text, expected):
    assert keyset.parse_id(text) == expected


@given(st.text(max_size=40))
def test_parse_id_never_raises(text):
    value = keyset.parse_id(text)
    assert value is None or (value >= 1 and str(value) == text.lstrip("0"))
