"""The dossier search (issue 14): words in any order, prefixes, accents and case ignored, date and phone in the
same box, a total, the typo-tolerant fallback, isolation between structures, and the words table kept in step."""

import datetime
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cep.beneficiaries.models import Beneficiary, NameWord
from cep.beneficiaries.queries import SearchTextError, parse_search_text
from cep.beneficiaries.services import update_beneficiary
from cep.common.text import normalize_name
from cep.enrolments import queries
from cep.enrolments.queries import search_beneficiaries
from tests.factories import BeneficiaryFactory

pytestmark = pytest.mark.django_db

STORED = ("Bégué-Laforêt", "Michèle Andrée")  # last name, first name as typed at creation


def found(user, text, **kwargs) -> list[int]:
    return [b.pk for b in search_beneficiaries(user, name=text, **kwargs).rows]


@pytest.fixture
def michele(structure):
    return BeneficiaryFactory(structure=structure, last_name=STORED[0], first_name=STORED[1], phone="06 12 34 56 78")


@pytest.fixture
def lookalike(other_structure):
    """The same person's name in another structure: never found from ours."""
    return BeneficiaryFactory(structure=other_structure, last_name=STORED[0], first_name=STORED[1])


def _variant(draw, word: str) -> str:
    """The word with any case per letter, accents dropped or kept, cut to any prefix (at least one letter)."""
    cut = draw(st.integers(min_value=1, max_value=len(word)))
    out = []
    for c in word[:cut]:
        if draw(st.booleans()):
            c = "".join(x for x in unicodedata.normalize("NFD", c) if not unicodedata.combining(x))
        out.append(c.upper() if draw(st.booleans()) else c.lower())
    return "".join(out)


@st.composite
def typed_names(draw):
    words = "-".join(STORED).replace(" ", "-").split("-")  # Bégué, Laforêt, Michèle, Andrée
    chosen = draw(st.lists(st.sampled_from(words), min_size=1, max_size=4, unique=True))
    chosen = draw(st.permutations(chosen))
    separator = draw(st.sampled_from([" ", "  ", "-", "'", " - "]))
    return separator.join(_variant(draw, w) for w in chosen)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=typed_names())
def test_any_word_order_accent_case_or_prefix_of_a_stored_name_finds_it(michele, lookalike, counselor, text):
    page = search_beneficiaries(counselor, name=text)
    assert [b.pk for b in page.rows] == [michele.pk] and page.total == 1 and not page.approximate


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=typed_names())
def test_a_name_never_finds_another_structures_person(michele, lookalike, other_counselor, text):
    page = search_beneficiaries(other_counselor, name=text)
    assert [b.pk for b in page.rows] == [lookalike.pk] and michele.pk not in [b.pk for b in page.rows]


def test_first_name_first_and_last_name_first_find_the_same_person(structure, counselor):
    wanted = BeneficiaryFactory(structure=structure, last_name="Bégué", first_name="Michelle")
    BeneficiaryFactory(structure=structure, last_name="Bégué", first_name="Paul")
    BeneficiaryFactory(structure=structure, last_name="Michel", first_name="Anne")
    assert found(counselor, "michelle begue") == found(counselor, "begue michelle") == [wanted.pk]
    assert found(counselor, "bég mich") == [wanted.pk]
    assert found(counselor, "begue paul michelle") == []  # every typed word must match


def test_a_word_inside_a_word_is_not_a_prefix(structure, counselor):
    BeneficiaryFactory(structure=structure, last_name="Bégué", first_name="Michelle")
    assert found(counselor, "gue") == []
    page = search_beneficiaries(counselor, name="egue")  # four letters: only « approchants » (one letter missing)
    assert page.approximate and page.total == 1


def test_one_typo_per_word_gives_approaching_results(structure, counselor):
    wanted = BeneficiaryFactory(structure=structure, last_name="Bégué", first_name="Michelle")
    BeneficiaryFactory(structure=structure, last_name="Martin", first_name="Paul")
    for typed in ("begeu", "bgue", "beggue", "bague", "michelle begeu", "mihcelle begue"):
        page = search_beneficiaries(counselor, name=typed)
        assert [b.pk for b in page.rows] == [wanted.pk], typed
        assert page.approximate and page.total == 1


def test_the_fallback_is_refused_two_typos_away_and_never_used_when_the_exact_search_finds(structure, counselor):
    begue = BeneficiaryFactory(structure=structure, last_name="Bégué", first_name="Michelle")
    assert search_beneficiaries(counselor, name="bgeeu").rows == []  # two typos
    begeu = BeneficiaryFactory(structure=structure, last_name="Begeu", first_name="Michelle")
    page = search_beneficiaries(counselor, name="begeu")
    assert [b.pk for b in page.rows] == [begeu.pk] and not page.approximate  # exact wins, no « approchants »
    assert begue.pk not in [b.pk for b in page.rows]


def test_the_fallback_stays_within_the_structure(structure, counselor, other_structure):
    BeneficiaryFactory(structure=other_structure, last_name="Bégué", first_name="Michelle")
    page = search_beneficiaries(counselor, name="begeu")
    assert page.rows == [] and not page.approximate and page.total == 0


def test_short_words_have_no_typo_fallback(structure, counselor):
    BeneficiaryFactory(structure=structure, last_name="Bégué", first_name="Léa")
    assert found(counselor, "lae") == []  # three letters: prefixes only


def test_birth_date_in_the_box(structure, counselor):
    wanted = BeneficiaryFactory(structure=structure, last_name="Martin", birth_date=datetime.date(2006, 5, 14))
    BeneficiaryFactory(structure=structure, last_name="Martin", birth_date=datetime.date(2006, 5, 15))
    assert found(counselor, "14/05/2006") == [wanted.pk]
    assert found(counselor, "martin 14/05/2006") == found(counselor, "14.5.2006 mart") == [wanted.pk]


def test_an_impossible_date_is_refused_with_a_french_message(counselor):
    with pytest.raises(SearchTextError, match="« 31/02/2006 » n'existe pas"):
        search_beneficiaries(counselor, name="31/02/2006")
    with pytest.raises(SearchTextError, match="Une seule date"):
        parse_search_text("14/05/2006 15/05/2006")


def test_phone_in_the_box(michele, structure, counselor, other_structure, other_counselor):
    BeneficiaryFactory(structure=structure, last_name="Autre", phone="07 00 00 00 00")
    for typed in ("0612345678", "06 12 34 56 78", "+33 6 12 34 56 78", "06.12.34", "bégué 06 12 34 56 78"):
        assert found(counselor, typed) == [michele.pk], typed
    assert found(counselor, "06 99 99 99") == []
    BeneficiaryFactory(structure=other_structure, last_name="Loin", phone="06 12 34 56 78")
    assert michele.pk not in found(other_counselor, "0612345678")


def test_parse_search_text():
    terms = parse_search_text("Bégué  14/05/2006 +33 6 12 34 56 78 d'Arc")
    assert terms.words == ("begue", "d", "arc")
    assert terms.birth_date == datetime.date(2006, 5, 14) and terms.phone == "0612345678"
    assert not parse_search_text("  - ' ")


def test_total_counts_every_page_and_is_capped(structure, counselor, monkeypatch):
    for first in ("Anne", "Béa", "Céline", "Dora", "Eva"):
        BeneficiaryFactory(structure=structure, last_name="Martin", first_name=first)
    BeneficiaryFactory(structure=structure, last_name="Durand")
    page = search_beneficiaries(counselor, name="martin", page_size=2)
    assert page.total == 5 and page.total_label == "5 personnes" and len(page.rows) == 2
    seen = [b.pk for b in page.rows]
    while page.next_cursor:
        page = search_beneficiaries(counselor, name="martin", page_size=2, cursor=page.next_cursor)
        assert page.total == 5
        seen += [b.pk for b in page.rows]
    assert len(seen) == len(set(seen)) == 5
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    capped = search_beneficiaries(counselor, name="martin")
    assert capped.total_capped and capped.total_label == "plus de 3 personnes"
    single = search_beneficiaries(counselor, name="durand")
    assert single.total_label == "1 personne"


def _words(b) -> set[str]:
    return set(NameWord.objects.filter(beneficiary_id=b.pk).values_list("word", flat=True))


def test_the_words_follow_creation_modification_and_deletion(michele, counselor):
    assert _words(michele) == {"begue", "laforet", "michele", "andree", "0612345678"}
    assert set(NameWord.objects.filter(beneficiary_id=michele.pk).values_list("structure_id", flat=True)) == {
        michele.structure_id
    }
    update_beneficiary(beneficiary=michele, actor=counselor, last_name="Dupont", phone="")
    assert _words(michele) == {"dupont", "michele", "andree"}
    assert found(counselor, "begue") == [] and found(counselor, "dupont michele") == [michele.pk]
    update_beneficiary(beneficiary=michele, actor=counselor, email="a@example.org")  # name untouched: same words
    assert _words(michele) == {"dupont", "michele", "andree"}
    Beneficiary.objects.filter(pk=michele.pk).delete()
    assert not NameWord.objects.filter(beneficiary_id=michele.pk).exists()


def test_the_words_follow_bulk_writes(structure):
    people = [BeneficiaryFactory.build(structure=structure, last_name=n, first_name="Zoé") for n in ("Roux", "Leroux")]
    for b in people:  # bulk_create skips save(): the writer sets the normalised name, as the demo generator does
        b.search_name = normalize_name(f"{b.last_name} {b.first_name}")
    made = Beneficiary.objects.bulk_create(people)
    assert [_words(b) for b in made] == [{"roux", "zoe"}, {"leroux", "zoe"}]
    Beneficiary.objects.filter(pk__in=[b.pk for b in made]).update(search_name="x y")
    assert [_words(b) for b in made] == [{"x", "y"}, {"x", "y"}]


def test_a_common_prefix_pages_in_name_order_beyond_the_counted_total(structure, counselor, monkeypatch):
    """Beyond COUNT_CAP matches the total is « plus de … », and every page follows the name order, once each."""
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    names = [("Martin", "Zoé"), ("Durand", "Marc"), ("Marchand", "Léa"), ("Petit", "Marie"), ("Marais", "Jean")]
    people = {BeneficiaryFactory(structure=structure, last_name=n, first_name=f).pk for n, f in names}
    BeneficiaryFactory(structure=structure, last_name="Bernard", first_name="Paul")
    seen, cursor = [], None
    for _ in range(5):
        page = search_beneficiaries(counselor, name="mar", page_size=2, cursor=cursor)
        assert page.total_capped and not page.approximate
        seen += page.rows
        cursor = page.next_cursor
        if not cursor:
            break
    assert {b.pk for b in seen} == people and len(seen) == len(people)
    assert [b.search_name for b in seen] == sorted(b.search_name for b in seen)
    page = search_beneficiaries(counselor, name="mar zoe")  # two words: the intersection is under the cap
    assert [b.last_name for b in page.rows] == ["Martin"] and page.total == 1


def test_a_narrowed_search_counts_what_the_filters_keep(structure, counselor):
    for first in ("Anne", "Béa", "Céline"):
        BeneficiaryFactory(structure=structure, last_name="Martin", first_name=first)
    BeneficiaryFactory(
        structure=structure, last_name="Martin", first_name="Dora", status="incomplete", justified_at=None
    )
    page = search_beneficiaries(counselor, name="martin", status="incomplete")
    assert [b.first_name for b in page.rows] == ["Dora"] and page.total == 1
    page = search_beneficiaries(counselor, name="martin", status="justified", page_size=2)
    assert page.total == 3 and len(page.rows) == 2


def test_an_administrator_without_structure_finds_in_any_order_in_every_structure(structure, other_structure):
    from cep.accounts.rights import Role
    from tests.factories import UserFactory

    admin = UserFactory(username="admin-national", role=Role.ADMIN, structure=None)
    ours = BeneficiaryFactory(structure=structure, last_name="Bégué", first_name="Michelle")
    theirs = BeneficiaryFactory(structure=other_structure, last_name="Bégué", first_name="Michelle")
    page = search_beneficiaries(admin, name="michelle begue")
    assert {b.pk for b in page.rows} == {ours.pk, theirs.pk} and page.total == 2
    assert {b.pk for b in search_beneficiaries(admin, name="michelle begeu").rows} == {ours.pk, theirs.pk}
