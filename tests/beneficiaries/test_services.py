import datetime

import pytest

from cep.audit.models import AuditEntry
from cep.beneficiaries import services as s
from cep.beneficiaries.eligibility import ineligibility_reasons
from cep.beneficiaries.models import Beneficiary, DossierStatus
from cep.common.errors import RuleViolation
from cep.organisations.models import Commune
from cep.referentials import models as ref
from tests.clock import today
from tests.factories import BeneficiaryFactory, UserFactory

pytestmark = pytest.mark.django_db


def complete_fields(**overrides):
    fields = dict(
        last_name="Éloïse-Noël",
        first_name="D'Arc",
        sex="F",
        birth_date=datetime.date(2004, 5, 17),
        commune=Commune.objects.get(code="2A004"),
        employment_status=ref.EmploymentStatus.objects.get(code="demandeur_emploi_indemnise"),
        qualification_level=ref.QualificationLevel.objects.get(code="niveau_3"),
        first_reception_date=today() - datetime.timedelta(days=20),
    )
    fields.update(overrides)
    return fields


def test_create_derives_search_name_and_territory(structure, counselor):
    b = s.create_beneficiary(structure=structure, actor=counselor, **complete_fields())
    assert b.search_name == "eloise noel d arc"
    assert (b.department_id, b.region_id) == ("2A", "94")
    assert b.referent == counselor and b.status == DossierStatus.INCOMPLETE
    assert AuditEntry.objects.filter(object_type="beneficiary", object_id=b.pk, action="create_beneficiary").exists()


def test_create_refuses_a_reception_before_birth(structure, counselor):
    with pytest.raises(RuleViolation) as err:
        s.create_beneficiary(
            structure=structure, actor=counselor, **complete_fields(first_reception_date=datetime.date(2000, 1, 1))
        )
    assert err.value.field == "first_reception_date"
    assert not Beneficiary.objects.exists()


def test_create_refuses_an_empty_name(structure, counselor):
    with pytest.raises(RuleViolation) as err:
        s.create_beneficiary(structure=structure, actor=counselor, **complete_fields(last_name="  "))
    assert err.value.field == "last_name"


def test_create_in_another_structure_is_refused(other_structure, counselor):
    with pytest.raises(RuleViolation) as err:
        s.create_beneficiary(structure=other_structure, actor=counselor, **complete_fields())
    assert err.value.rule == "DROITS"


def test_r1_justify_a_complete_dossier(structure, counselor):
    b = s.create_beneficiary(structure=structure, actor=counselor, **complete_fields())
    b = s.justify_beneficiary(beneficiary=b, actor=counselor)
    assert b.status == DossierStatus.JUSTIFIED and b.justified_at is not None


def test_r1_justify_an_incomplete_dossier_names_what_is_missing(structure, counselor):
    b = s.create_beneficiary(
        structure=structure, actor=counselor, **complete_fields(qualification_level=None, commune=None)
    )
    with pytest.raises(RuleViolation) as err:
        s.justify_beneficiary(beneficiary=b, actor=counselor)
    assert err.value.rule == "R1"
    assert "niveau de qualification" in err.value.message and "commune" in err.value.message
    b.refresh_from_db()
    assert b.status == DossierStatus.INCOMPLETE


def test_update_is_audited_with_before_and_after(beneficiary, counselor):
    s.update_beneficiary(beneficiary=beneficiary, actor=counselor, phone="0601020304")
    entry = AuditEntry.objects.get(object_id=beneficiary.pk, action="update_beneficiary")
    assert ("phone", "", "0601020304") in entry.changes()


def test_update_cannot_empty_a_justified_dossier(beneficiary, counselor):
    with pytest.raises(RuleViolation) as err:
        s.update_beneficiary(beneficiary=beneficiary, actor=counselor, employment_status=None)
    assert err.value.rule == "R1"


def test_r4_first_reception_cannot_move_after_a_cep_entry(beneficiary, counselor, open_cep):
    cep = open_cep(entry_date=today() - datetime.timedelta(days=50))
    with pytest.raises(RuleViolation) as err:
        s.update_beneficiary(
            beneficiary=beneficiary, actor=counselor, first_reception_date=cep.entry_date + datetime.timedelta(days=1)
        )
    assert err.value.rule == "R4"


def test_referent_must_belong_to_the_structure(beneficiary, counselor, other_counselor):
    with pytest.raises(RuleViolation):
        s.update_beneficiary(beneficiary=beneficiary, actor=counselor, referent=other_counselor)


def test_reassign_referent_moves_everyone_and_audits(structure, manager, counselor):
    other = UserFactory(username="remplacant", structure=structure)
    people = BeneficiaryFactory.create_batch(3, structure=structure, referent=counselor)
    assert s.reassign_referent(from_user=counselor, to_user=other, actor=manager, structure=structure) == 3
    assert set(Beneficiary.objects.filter(referent=other).values_list("pk", flat=True)) == {p.pk for p in people}
    assert AuditEntry.objects.filter(action="reassign_referent").count() == 3


def test_reassign_refused_for_a_counselor(structure, counselor):
    other = UserFactory(username="remplacant", structure=structure)
    with pytest.raises(RuleViolation) as err:
        s.reassign_referent(from_user=counselor, to_user=other, actor=counselor, structure=structure)
    assert err.value.rule == "DROITS"


@pytest.mark.parametrize(
    ("status", "holds", "age", "network", "codes"),
    [
        ("salarie_prive_temps_complet", True, 40, "france_travail", []),
        ("etudiant", False, 20, "france_travail", ["not_active"]),
        ("retraite", True, 66, "france_travail", []),
        ("demandeur_emploi_indemnise", True, 15, "ml", ["too_young"]),
        ("demandeur_emploi_indemnise", True, 26, "ml", ["too_old"]),
        ("demandeur_emploi_indemnise", True, 25, "ml", []),
        ("agent_public_titulaire", True, 40, "operateur_regional", ["public_agent"]),
        ("agent_public_titulaire", True, 40, "france_travail", []),
    ],
)
def test_eligibility(refdata, status, holds, age, network, codes):
    person = Beneficiary(
        birth_date=today().replace(year=today().year - age) - datetime.timedelta(days=1),
        employment_status=ref.EmploymentStatus.objects.get(code=status),
        holds_or_seeks_job=holds,
    )
    reasons = ineligibility_reasons(person, ref.Network.objects.get(code=network), today())
    assert [r.code for r in reasons] == codes
    assert all(r.message.endswith(".") for r in reasons)


def test_r1_create_justified_in_one_call(structure, counselor):
    b = s.create_justified_beneficiary(structure=structure, actor=counselor, **complete_fields())
    assert b.is_justified and b.justified_at is not None
    actions = set(AuditEntry.objects.filter(object_id=b.pk).values_list("action", flat=True))
    assert actions == {"create_beneficiary", "justify_beneficiary"}


def test_r1_create_justified_refuses_everything_at_once_and_writes_nothing(structure, counselor):
    fields = complete_fields(
        commune=None, qualification_level=None, first_reception_date=today() + datetime.timedelta(1)
    )
    with pytest.raises(RuleViolation) as err:
        s.create_justified_beneficiary(structure=structure, actor=counselor, **fields)
    assert [(v.rule, v.field) for v in err.value.violations] == [
        ("DOSSIER", "first_reception_date"),
        ("R1", "qualification_level"),
        ("R1", "commune"),
    ]
    assert not Beneficiary.objects.exists() and not AuditEntry.objects.exists()


def test_create_collects_every_refusal(structure, counselor):
    fields = complete_fields(last_name=" ", first_name="", birth_date=today() + datetime.timedelta(days=3))
    with pytest.raises(RuleViolation) as err:
        s.create_beneficiary(structure=structure, actor=counselor, **fields)
    assert {v.field for v in err.value.violations} == {"last_name", "first_name", "birth_date"}
    assert not Beneficiary.objects.exists()
