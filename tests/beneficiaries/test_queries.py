"""The dossier reads of cep/beneficiaries/queries.py that the pages and the API share."""

import pytest

from cep.accounts.rights import Right
from cep.audit.models import SensitiveAccess
from cep.beneficiaries.queries import read_rqth
from cep.common.errors import RuleViolation
from tests.factories import withdraw

pytestmark = pytest.mark.django_db


def test_read_rqth_returns_the_value_and_logs_the_read(beneficiary, counselor):
    beneficiary.has_rqth = True
    assert read_rqth(counselor, beneficiary, channel="web") is True
    access = SensitiveAccess.objects.get()
    assert (access.actor_id, access.beneficiary_id, access.channel, access.field) == (
        counselor.pk,
        beneficiary.pk,
        "web",
        "rqth",
    )
    read_rqth(counselor, beneficiary, channel="api")
    assert list(SensitiveAccess.objects.order_by("id").values_list("channel", flat=True)) == ["web", "api"]


def test_read_rqth_refuses_another_structures_dossier(beneficiary, other_counselor):
    with pytest.raises(RuleViolation) as err:
        read_rqth(other_counselor, beneficiary, channel="api")
    assert err.value.rule == "DROITS"
    assert not SensitiveAccess.objects.exists()


def test_droits_without_view_dossier_the_dossier_queries_refuse(beneficiary, counselor):
    from cep.beneficiaries.queries import get_dossier
    from cep.enrolments.queries import search_beneficiaries

    withdraw(counselor, Right.VIEW_DOSSIER)
    for read in (
        lambda: read_rqth(counselor, beneficiary, channel="api"),
        lambda: get_dossier(counselor, beneficiary.pk),
        lambda: search_beneficiaries(counselor),
    ):
        with pytest.raises(RuleViolation) as err:
            read()
        assert err.value.rule == "DROITS" and "« Consulter les informations d'un dossier »" in err.value.message
    assert not SensitiveAccess.objects.exists()


# --- Duplicates: the search's measure (Damerau-Levenshtein ≤ 1 per word, any order) ------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("begue michelle", "begue michelle"),
        ("michelle begue", "begue michelle"),  # first name typed first
        ("begeu michelle", "begue michelle"),  # two neighbours swapped
        ("michele begue", "begue michelle"),  # one letter missing, other order
        ("beguemichelle", "begue michelle"),  # one space missing: whole-name measure
    ],
)
def test_names_one_typo_apart_per_word_are_close(typed, stored):
    from cep.beneficiaries.queries import names_close

    assert names_close(typed, stored)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("bgeeu michelle", "begue michelle"), ("begue paul", "begue michelle"), ("begue", "begue michelle")],
)
def test_names_two_typos_apart_or_another_first_name_are_not_close(typed, stored):
    from cep.beneficiaries.queries import names_close

    assert not names_close(typed, stored)


def test_likely_duplicates_finds_the_swapped_and_misspelt_name_born_the_same_day(structure, other_structure):
    import datetime

    from cep.beneficiaries.queries import likely_duplicates
    from tests.factories import BeneficiaryFactory

    born = datetime.date(2006, 5, 14)
    same = BeneficiaryFactory(structure=structure, last_name="Bégué", first_name="Michelle", birth_date=born)
    BeneficiaryFactory(
        structure=structure, last_name="Bégué", first_name="Michelle", birth_date=datetime.date(2006, 5, 15)
    )
    BeneficiaryFactory(structure=other_structure, last_name="Bégué", first_name="Michelle", birth_date=born)
    found = likely_duplicates(structure_id=structure.pk, last_name="Michelle", first_name="Begeu", birth_date=born)
    assert found == [same]
    assert (
        likely_duplicates(structure_id=structure.pk, last_name="Bgeeu", first_name="Michelle", birth_date=born) == []
    )
