"""Issue 11, parts 3 and 4: double accompaniment across structures, and continuity on a change of status."""

import csv
import datetime
import io
import itertools
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cep.accounts.rights import Role
from cep.audit.models import AuditEntry
from cep.beneficiaries import services as dossiers
from cep.enrolments import overlaps
from cep.enrolments import services as ceps
from cep.enrolments.models import Cep
from cep.enrolments.workflow import OPEN_STATUSES
from cep.referentials import models as ref
from tests.api.conftest import client_for
from tests.clock import today
from tests.factories import BeneficiaryFactory, OperatorFactory, StructureFactory, UserFactory

pytestmark = pytest.mark.django_db

PERSON = {"last_name": "Rossi", "first_name": "Lucie", "birth_date": datetime.date(2003, 2, 11), "sex": "F"}


def status(code):
    return ref.EmploymentStatus.objects.get(code=code)


def structure_of(network: str, name: str):
    return StructureFactory(operator=OperatorFactory(network_id=network), name=name)


def counselor_of(structure, username):
    return UserFactory(username=username, role=Role.COUNSELOR, structure=structure)


def open_for(person, actor, cep_refs):
    return ceps.open_cep(
        beneficiary=person,
        actor=actor,
        orientation_source=cep_refs["direct"],
        entry_date=today() - datetime.timedelta(days=20),
        entry_phase=2,
        request_reason=cep_refs["reason"],
    )


@pytest.fixture
def ml(refdata):
    return structure_of("ml", "Mission locale du Valinco")


@pytest.fixture
def apec(refdata):
    return structure_of("apec", "APEC Corse")


@pytest.fixture
def france_travail(refdata):
    return structure_of("france_travail", "France Travail Ajaccio Empereur")


@pytest.fixture
def ml_counselor(ml):
    return counselor_of(ml, "cons_ml")


@pytest.fixture
def apec_counselor(apec):
    return counselor_of(apec, "cons_apec")


@pytest.fixture
def ft_counselor(france_travail):
    return counselor_of(france_travail, "cons_ft")


@pytest.fixture
def national(refdata):
    """Named here, not by Faker: its name is in the page's header, and Faker's French names include « Lucie » and
    « Rossi », the person the national report must not name."""
    return UserFactory(
        username="obs_nat", first_name="Agnès", last_name="Perrin", role=Role.NATIONAL_OBSERVER, structure=None
    )


def dossier(structure, referent, **extra):
    return BeneficiaryFactory(structure=structure, referent=referent, **{**PERSON, **extra})


# -- Part 3: double accompaniment ----------------------------------------------------------------------------------


def test_overlap_found_across_two_structures_and_both_counselors_see_it(
    ml, apec, ml_counselor, apec_counselor, cep_refs
):
    first = open_for(dossier(ml, ml_counselor), ml_counselor, cep_refs)
    # Same person typed otherwise in the other structure: one identity pseudonym.
    second = open_for(dossier(apec, apec_counselor, last_name="ROSSI", first_name="lucie"), apec_counselor, cep_refs)
    assert first.identity_pseudonym == second.identity_pseudonym != ""
    assert overlaps.elsewhere(second) == [overlaps.Elsewhere(ml.network.label, "Mission locale du Valinco")]
    assert overlaps.elsewhere(first) == [overlaps.Elsewhere(apec.network.label, "APEC Corse")]
    assert [c.pk for c in overlaps.overlapping_ceps(ml_counselor)] == [first.pk]
    assert [c.pk for c in overlaps.overlapping_ceps(apec_counselor)] == [second.pk]
    (row,) = overlaps.national_overlaps()
    assert row == (
        first.identity_pseudonym,
        str(ml.pk),
        "ml",
        first.entry_date.isoformat(),
        str(apec.pk),
        "apec",
        second.entry_date.isoformat(),
    )


def test_no_overlap_for_another_person_or_a_closed_cep(ml, apec, ml_counselor, apec_counselor, cep_refs):
    first = open_for(dossier(ml, ml_counselor), ml_counselor, cep_refs)
    other = open_for(dossier(apec, apec_counselor, first_name="Lucien"), apec_counselor, cep_refs)
    assert overlaps.elsewhere(first) == overlaps.elsewhere(other) == []
    assert overlaps.national_overlaps() == []
    same = open_for(dossier(apec, apec_counselor), apec_counselor, cep_refs)
    assert overlaps.elsewhere(first)
    ceps.close_cep(cep=same, actor=apec_counselor, end_date=today(), exit_reason=cep_refs["formalised"])
    assert overlaps.elsewhere(first) == [] and overlaps.national_overlaps() == []


def test_the_france_travail_exception_is_not_flagged(france_travail, apec, ft_counselor, apec_counselor, cep_refs):
    """A job seeker registered at France Travail, followed there, while APEC delivers the CEP ([002] §3.2.1)."""
    at_ft = open_for(dossier(france_travail, ft_counselor), ft_counselor, cep_refs)  # factory: demandeur d'emploi
    at_apec = open_for(dossier(apec, apec_counselor), apec_counselor, cep_refs)
    assert at_ft.identity_pseudonym == at_apec.identity_pseudonym
    assert overlaps.elsewhere(at_ft) == overlaps.elsewhere(at_apec) == []
    assert overlaps.overlapping_ceps(ft_counselor) == overlaps.overlapping_ceps(apec_counselor) == []
    assert overlaps.national_overlaps() == []


def test_france_travail_and_another_operator_for_someone_not_registered_is_an_overlap(
    france_travail, apec, ft_counselor, apec_counselor, cep_refs
):
    employed = status("salarie_prive_temps_complet")
    at_ft = open_for(dossier(france_travail, ft_counselor, employment_status=employed), ft_counselor, cep_refs)
    open_for(dossier(apec, apec_counselor, employment_status=employed), apec_counselor, cep_refs)
    assert overlaps.elsewhere(at_ft) == [overlaps.Elsewhere(apec.network.label, "APEC Corse")]
    assert len(overlaps.national_overlaps()) == 1


@pytest.mark.parametrize(
    ("ft_a", "js_a", "ft_b", "js_b", "excused"),
    [
        (True, True, False, False, True),
        (False, False, True, True, True),
        (True, False, False, True, False),  # France Travail's dossier says: not registered
        (False, True, False, True, False),  # no France Travail in the pair
        (True, True, True, True, False),  # two France Travail structures
    ],
)
def test_the_exception_rule(ft_a, js_a, ft_b, js_b, excused):
    assert overlaps.is_france_travail_exception(ft_a, js_a, ft_b, js_b) is excused


@pytest.mark.parametrize("facts", list(itertools.product((False, True), repeat=4)))
def test_the_exception_in_sql_is_the_exception_in_python(facts):
    """The set-based statements (national report, import of CEPs) read the same rule as `elsewhere`."""
    from django.db import connection

    condition = overlaps.france_travail_exception_sql(*("true" if fact else "false" for fact in facts))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {condition}")
        assert cursor.fetchone()[0] is overlaps.is_france_travail_exception(*facts)


def test_the_warning_names_each_other_structure():
    found = [overlaps.Elsewhere("APEC", "APEC Corse"), overlaps.Elsewhere("Cap emploi", "Cap emploi 2A")]
    assert overlaps.warning(found) == (
        "Attention : cette personne a aussi un CEP en cours dans une autre structure (APEC – APEC Corse ; Cap emploi "
        "– Cap emploi 2A). Vérifiez avec elle qu'il ne s'agit pas d'un double accompagnement ; le conseiller de "
        "l'autre structure en est averti."
    )


def test_opening_the_second_cep_warns_on_the_web_and_never_refuses(
    client, ml, apec, ml_counselor, apec_counselor, cep_refs
):
    open_for(dossier(ml, ml_counselor), ml_counselor, cep_refs)
    person = dossier(apec, apec_counselor, email="l.rossi@apec-dossier.fr", phone="0699887766")
    client.force_login(apec_counselor)
    response = client.post(
        reverse("web:cep_add", args=[person.pk]),
        {
            "orientation_source": cep_refs["direct"].pk,
            "entry_date": (today() - datetime.timedelta(days=5)).strftime("%d/%m/%Y"),
            "entry_phase": 2,
            "request_reason": cep_refs["reason"].pk,
        },
        follow=True,
    )
    assert response.status_code == 200
    assert Cep.objects.filter(beneficiary=person, status__in=OPEN_STATUSES).exists()  # a warning, not a refusal
    page = response.content.decode()
    assert "aussi un CEP en cours dans une autre structure" in page and "Mission locale du Valinco" in page
    assert "Double accompagnement possible" in page  # on the CEP page itself
    # The other counselor: on the home page and on the CEP page, the APEC structure's name only.
    client.force_login(ml_counselor)
    home = client.get(reverse("web:home")).content.decode()
    assert "Double accompagnement possible" in home and "APEC Corse" in home
    assert "apec-dossier" not in home and "0699887766" not in home  # nothing of the other dossier


def test_opening_the_second_cep_warns_through_the_api(ml, apec, ml_counselor, apec_counselor, cep_refs):
    open_for(dossier(ml, ml_counselor), ml_counselor, cep_refs)
    person = dossier(apec, apec_counselor)
    api = client_for(apec_counselor)
    body = {
        "orientation_source": "ma_structure_entree_directe",
        "entry_date": str(today() - datetime.timedelta(days=5)),
        "entry_phase": 2,
        "request_reason": "prise_de_recul",
    }
    response = api.post(f"beneficiaries/{person.pk}/ceps", body)
    assert response.status_code == 201, response.content
    assert response.json()["double_accompaniment"] == [
        {"network": ml.network.label, "structure": "Mission locale du Valinco"}
    ]
    alone = dossier(apec, apec_counselor, first_name="Autre")
    response = api.post(f"beneficiaries/{alone.pk}/ceps", body)
    assert response.status_code == 201 and response.json()["double_accompaniment"] == []


def test_the_national_report_carries_pseudonyms_only(
    client, national, ml, apec, ml_counselor, apec_counselor, cep_refs
):
    a = dossier(ml, ml_counselor, email="lucie.rossi@exemple.fr")
    first = open_for(a, ml_counselor, cep_refs)
    open_for(dossier(apec, apec_counselor), apec_counselor, cep_refs)
    client.force_login(national)
    page = client.get(reverse("reporting:overlaps")).content.decode()
    text = client.get(reverse("reporting:overlaps_csv")).content.decode()
    # The CSRF token is 64 random letters and digits: it could hold « Lucie » by chance.
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)
    assert first.identity_pseudonym in page and first.identity_pseudonym in text
    identifying = ["Rossi", "ROSSI", "Lucie", "2003-02-11", "11/02/2003", "lucie.rossi", str(a.person_key)]
    for value in identifying:
        assert value not in page and value not in text
    header, *rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert tuple(header) == overlaps.REPORT_COLUMNS and len(rows) == 1
    assert client.get(reverse("reporting:overlaps") + "?mois=2026-99").status_code == 400
    # A structure's staff never reads it.
    client.force_login(ml_counselor)
    assert client.get(reverse("reporting:overlaps")).status_code == 403


def test_a_past_month_is_read_from_the_dates(ml, apec, ml_counselor, apec_counselor, cep_refs):
    first = open_for(dossier(ml, ml_counselor), ml_counselor, cep_refs)
    open_for(dossier(apec, apec_counselor), apec_counselor, cep_refs)
    assert overlaps.national_overlaps(today() - datetime.timedelta(days=40)) == []  # before both entries
    assert len(overlaps.national_overlaps(today() - datetime.timedelta(days=1))) == 1
    ceps.close_cep(cep=first, actor=ml_counselor, end_date=today(), exit_reason=cep_refs["formalised"])
    assert len(overlaps.national_overlaps(today() - datetime.timedelta(days=1))) == 1  # still both in progress then
    assert overlaps.national_overlaps() == []


# -- Part 4: continuity on a change of status -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "holds_or_seeks_job"),
    [("salarie_prive_temps_complet", True), ("etudiant", False), ("agent_public_titulaire", True)],
)
def test_a_status_change_keeps_the_cep(ml, ml_counselor, cep_refs, code, holds_or_seeks_job):
    """Eligibility is checked at entry only ([004] l.32, l.83): even a status the network would refuse at entry
    (a student who neither holds nor seeks a job) leaves the CEP in progress; the audit dates the change."""
    person = dossier(ml, ml_counselor)
    cep = open_for(person, ml_counselor, cep_refs)
    dossiers.update_beneficiary(
        beneficiary=person, actor=ml_counselor, employment_status=status(code), holds_or_seeks_job=holds_or_seeks_job
    )
    cep.refresh_from_db()
    assert cep.status in OPEN_STATUSES and cep.end_date is None
    entry = AuditEntry.objects.filter(
        object_type="beneficiary", object_id=person.pk, action="update_beneficiary"
    ).get()
    assert entry.after["employment_status_id"] == code and entry.before["employment_status_id"] != code
    assert timezone.localdate(entry.at) == today()  # the day in Paris: 23:30 UTC is already tomorrow there


def test_the_same_status_is_refused_at_entry(ml, ml_counselor, cep_refs):
    from cep.common.errors import RuleViolation

    person = dossier(ml, ml_counselor, employment_status=status("etudiant"), holds_or_seeks_job=False)
    with pytest.raises(RuleViolation) as refused:
        open_for(person, ml_counselor, cep_refs)
    assert refused.value.rule == "ELIGIBILITE"


def test_the_france_travail_case_is_flagged_on_the_home_page(client, france_travail, ft_counselor, cep_refs):
    person = dossier(france_travail, ft_counselor)
    cep = open_for(person, ft_counselor, cep_refs)
    assert overlaps.france_travail_registration_ended(ft_counselor) == []  # still a registered job seeker
    client.force_login(ft_counselor)
    assert "Inscription à France Travail terminée" not in client.get(reverse("web:home")).content.decode()
    dossiers.update_beneficiary(
        beneficiary=person, actor=ft_counselor, employment_status=status("salarie_prive_temps_partiel")
    )
    assert [c.pk for c in overlaps.france_travail_registration_ended(ft_counselor)] == [cep.pk]
    cep.refresh_from_db()
    assert cep.status in OPEN_STATUSES  # flagged, never closed by the system
    home = client.get(reverse("web:home")).content.decode()
    assert "Inscription à France Travail terminée" in home
    assert reverse("web:cep_close", args=[cep.pk]) in home and "Clôturer" in home
    # issue 11, part 2: « Orienter » beside « Clôturer », to the directory with the person's commune
    assert reverse("web:orient", args=[person.pk]) in home and f"Orienter – {person}" in home


def test_the_flag_is_for_france_travail_only(ml, ml_counselor, cep_refs):
    person = dossier(ml, ml_counselor)
    open_for(person, ml_counselor, cep_refs)
    dossiers.update_beneficiary(
        beneficiary=person, actor=ml_counselor, employment_status=status("salarie_prive_temps_partiel")
    )
    assert overlaps.france_travail_registration_ended(ml_counselor) == []


def test_an_identity_correction_moves_the_ceps_pseudonym(ml, apec, ml_counselor, apec_counselor, cep_refs):
    first = open_for(dossier(ml, ml_counselor, first_name="Lucia"), ml_counselor, cep_refs)  # a typo
    open_for(dossier(apec, apec_counselor), apec_counselor, cep_refs)
    assert overlaps.elsewhere(first) == []
    dossiers.update_beneficiary(beneficiary=first.beneficiary, actor=ml_counselor, first_name="Lucie")
    first.refresh_from_db()
    assert first.identity_pseudonym == first.beneficiary.identity_pseudonym
    assert overlaps.elsewhere(first) == [overlaps.Elsewhere(apec.network.label, "APEC Corse")]
