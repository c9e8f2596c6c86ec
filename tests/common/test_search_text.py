"""The search's text functions (cep/common/text.py) and their SQL twins (migration beneficiaries 0005)."""

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cep.common.text import (
    damerau_levenshtein_at_most_one,
    normalize_name,
    phone_digits,
    search_words,
    typo_variants,
)


def osa_distance(a: str, b: str) -> int:
    """Reference: optimal string alignment distance (Damerau-Levenshtein with adjacent swaps), by the table."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


small_words = st.text(alphabet="abce", min_size=0, max_size=6)


@given(small_words, small_words)
def test_damerau_levenshtein_at_most_one_agrees_with_the_reference(a, b):
    assert damerau_levenshtein_at_most_one(a, b) == (osa_distance(a, b) <= 1)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=7), small_words)
def test_typo_variants_are_exactly_the_words_one_typo_away(word, other):
    variants = typo_variants(word)
    assert word in variants
    assert all(damerau_levenshtein_at_most_one(word, v) for v in variants)
    assert (other in variants) == (bool(other) and damerau_levenshtein_at_most_one(word, other))


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("begeu", "begue"), ("bague", "begue"), ("bgue", "begue"), ("beggue", "begue"), ("ebgue", "begue")],
)
def test_one_typo_wrong_missing_extra_or_swapped_is_a_variant(typed, stored):
    assert stored in typo_variants(typed)


@pytest.mark.parametrize(("typed", "stored"), [("bgeeu", "begue"), ("bag", "begue"), ("eugeb", "begue")])
def test_two_typos_are_not_a_variant(typed, stored):
    assert stored not in typo_variants(typed) and not damerau_levenshtein_at_most_one(typed, stored)


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("06 12 34 56 78", "0612345678"),
        ("+33 6 12 34 56 78", "0612345678"),
        ("0033 (0)6.12.34.56.78", "00612345678"),
        ("0033612345678", "0612345678"),
        ("06-12-34", "061234"),
        ("0612", ""),
        ("", ""),
    ],
)
def test_phone_digits(typed, digits):
    assert phone_digits(typed) == digits


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=40), phone=st.text(alphabet="0123456789 +.-()3٣x", max_size=20))
def test_the_sql_words_are_the_python_words(name, phone):
    """The triggers index what the search looks up: cep_search_words() in SQL = search_words() in Python."""
    search_name = normalize_name(name.replace("\x00", ""))
    with connection.cursor() as cursor:
        cursor.execute("SELECT array_agg(w) FROM cep_search_words(%s, %s) AS w", [search_name, phone])
        sql_words = set(cursor.fetchone()[0] or [])
    assert sql_words == search_words(search_name, phone)


@pytest.mark.django_db
def test_the_sql_words_function_is_inlined_in_the_triggers_insert():
    """cep_search_words() must stay inlinable (no SET clause): called per row, it made a large import 3× slower."""
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (VERBOSE) SELECT b.id, w FROM beneficiaries_beneficiary b, "
            "LATERAL cep_search_words(b.search_name, b.phone) AS w"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "cep_search_words" not in plan
    assert "string_to_array" in plan
