"""ELIGIBILITE on birthdays (docs/regles-cep.md §2): a Mission locale accompanies people from 16 to 25 years old.

A person is 16 on their sixteenth birthday and 25 until the eve of their twenty-sixth: the day before and the day
of each birthday are tried, through the function and through the opening of a CEP (a refusal writes nothing).
"""

import datetime

import pytest

from cep.audit.models import AuditEntry
from cep.beneficiaries.eligibility import age_on, ineligibility_reasons
from cep.beneficiaries.models import Beneficiary
from cep.common.errors import RuleViolation
from cep.enrolments.models import Cep
from cep.referentials import models as ref
from tests.clock import today

ENTRY = datetime.date(2026, 6, 15)
ONE_DAY = datetime.timedelta(days=1)


def born(years: int, day: datetime.date = ENTRY) -> datetime.date:
    """The birth date of someone whose `years`-th birthday is `day`."""
    return day.replace(year=day.year - years)


def test_eligibilite_age_changes_on_the_birthday_not_before():
    birth = datetime.date(2010, 6, 15)
    assert age_on(birth, datetime.date(2026, 6, 14)) == 15
    assert age_on(birth, datetime.date(2026, 6, 15)) == 16
    assert age_on(birth, datetime.date(2026, 6, 16)) == 16
    assert age_on(birth, datetime.date(2026, 5, 20)) == 15  # an earlier month, a later day
    assert age_on(birth, datetime.date(2026, 7, 1)) == 16  # a later month, an earlier day


def test_eligibilite_age_of_someone_born_on_29_february():
    birth = datetime.date(2008, 2, 29)
    assert age_on(birth, datetime.date(2026, 2, 28)) == 17
    assert age_on(birth, datetime.date(2026, 3, 1)) == 18
    assert age_on(birth, datetime.date(2028, 2, 29)) == 20


@pytest.mark.parametrize(
    "birth_date, codes, age",
    [
        (born(16) + ONE_DAY, ["too_young"], 15),  # the day before the 16th birthday
        (born(16), [], 16),  # the 16th birthday
        (born(26) + ONE_DAY, [], 25),  # the day before the 26th birthday
        (born(26), ["too_old"], 26),  # the 26th birthday
    ],
)
def test_eligibilite_mission_locale_on_the_16th_and_26th_birthdays(refdata, birth_date, codes, age):
    person = Beneficiary(
        birth_date=birth_date,
        employment_status=ref.EmploymentStatus.objects.get(code="demandeur_emploi_non_indemnise"),
        holds_or_seeks_job=True,
    )
    reasons = ineligibility_reasons(person, ref.Network.objects.get(code="ml"), ENTRY)
    assert [r.code for r in reasons] == codes
    assert age_on(birth_date, ENTRY) == age
    for reason in reasons:
        assert reason.message == f"Le réseau ML accompagne les personnes de 16 à 25 ans ; cette personne a {age} ans."


def test_eligibilite_no_age_limit_without_a_network(refdata):
    person = Beneficiary(birth_date=born(90), employment_status=None, holds_or_seeks_job=False)
    assert ineligibility_reasons(person, None, ENTRY) == []


def test_eligibilite_a_network_without_age_bounds_takes_every_age(refdata):
    network = ref.Network.objects.get(code="france_travail")
    assert (network.min_age, network.max_age) == (None, None)
    for years in (15, 90):
        person = Beneficiary(birth_date=born(years), employment_status=None, holds_or_seeks_job=False)
        assert ineligibility_reasons(person, network, ENTRY) == []


@pytest.mark.parametrize(
    "status, network, codes",
    [
        ("agent_public_titulaire", "operateur_regional", ["public_agent"]),
        ("salarie_prive_temps_complet", "operateur_regional", []),
        ("agent_public_titulaire", "france_travail", []),
    ],
)
def test_eligibilite_public_agents_only_where_the_network_excludes_them(refdata, status, network, codes):
    person = Beneficiary(
        birth_date=born(40), employment_status=ref.EmploymentStatus.objects.get(code=status), holds_or_seeks_job=True
    )
    assert [r.code for r in ineligibility_reasons(person, ref.Network.objects.get(code=network), ENTRY)] == codes


def test_eligibilite_an_unknown_employment_status_is_no_reason_anywhere(refdata):
    person = Beneficiary(birth_date=born(20), employment_status=None, holds_or_seeks_job=False)
    for code in ("operateur_regional", "ml", "france_travail"):
        assert ineligibility_reasons(person, ref.Network.objects.get(code=code), ENTRY) == [], code


def test_eligibilite_a_student_who_seeks_a_job_is_accepted(refdata):
    student = ref.EmploymentStatus.objects.get(code="etudiant")
    network = ref.Network.objects.get(code="france_travail")
    seeking = Beneficiary(birth_date=born(30), employment_status=student, holds_or_seeks_job=True)
    idle = Beneficiary(birth_date=born(30), employment_status=student, holds_or_seeks_job=False)
    assert ineligibility_reasons(seeking, network, ENTRY) == []
    assert [r.code for r in ineligibility_reasons(idle, network, ENTRY)] == ["not_active"]


# Through the opening of a CEP (ELIGIBILITE is checked on the entry date) -------------------------------------------
def _open(beneficiary, counselor, cep_refs, entry_date):
    from cep.enrolments.services import open_cep

    return open_cep(
        beneficiary=beneficiary,
        actor=counselor,
        orientation_source=cep_refs["direct"],
        entry_date=entry_date,
        entry_phase=2,
        request_reason=cep_refs["reason"],
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "years, shift, accepted",
    [(16, 0, True), (16, 1, False), (26, 1, True), (26, 0, False)],
    ids=["16e-anniversaire", "veille-16e", "veille-26e", "26e-anniversaire"],
)
def test_eligibilite_opening_a_cep_in_a_mission_locale_on_birthdays(
    beneficiary, counselor, cep_refs, years, shift, accepted
):
    entry = today() - datetime.timedelta(days=10)
    if (entry.month, entry.day) == (2, 29):
        entry -= ONE_DAY  # a birthday that exists every year
    beneficiary.birth_date = born(years, entry) + shift * ONE_DAY
    beneficiary.first_reception_date = entry - datetime.timedelta(days=30)
    beneficiary.save()
    if accepted:
        assert _open(beneficiary, counselor, cep_refs, entry).entry_date == entry
        return
    before = list(Cep.objects.values()), AuditEntry.objects.count()
    with pytest.raises(RuleViolation) as err:
        _open(beneficiary, counselor, cep_refs, entry)
    assert err.value.rule == "ELIGIBILITE" and "16 à 25 ans" in err.value.message
    assert (list(Cep.objects.values()), AuditEntry.objects.count()) == before
