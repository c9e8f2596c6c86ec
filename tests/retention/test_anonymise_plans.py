"""Anonymisation removes the action plan (and its versions) and the copies of the documents handed to the person;
the audit trail of the plan never held the typed texts."""

import pytest

from cep.audit.models import AuditEntry
from cep.enrolments import services as ceps
from cep.enrolments.models import Cep
from cep.plans import services as plans
from cep.plans.models import ActionPlan, IssuedDocument, PlanStep, PlanVersion
from cep.retention import services

from .conftest import GONE_ON, KEPT_ON, LAST_CONTACT

pytestmark = pytest.mark.django_db
SECRET = "Projet confié : reprendre la boulangerie de Mme Martin-Lefèvre"


@pytest.fixture
def dossier_with_plan(old_dossier, counselor, cep_refs):
    cep = ceps.open_cep(
        beneficiary=old_dossier,
        actor=counselor,
        orientation_source=cep_refs["direct"],
        entry_date=LAST_CONTACT,
        entry_phase=2,
        request_reason=cep_refs["reason"],
    )
    plan = plans.create_plan(cep=cep, actor=counselor)
    plans.update_plan(plan=plan, actor=counselor, project=SECRET)
    step = plans.add_step(plan=plan, actor=counselor, title="Étape")
    plans.add_action(step=step, actor=counselor, label="Action", who="La personne")
    plans.add_financing_line(plan=plan, actor=counselor, funder="cpf", amount="10")
    plans.issue_synthesis(cep=cep, actor=counselor)
    ceps.close_cep(cep=cep, actor=counselor, end_date=LAST_CONTACT, exit_reason=cep_refs["formalised"])
    return old_dossier


def test_plan_and_documents_are_kept_before_the_period_ends(dossier_with_plan):
    services.anonymise(on=KEPT_ON)
    assert ActionPlan.objects.exists() and IssuedDocument.objects.exists()


def test_anonymisation_deletes_the_plan_its_versions_and_the_documents(dossier_with_plan):
    services.anonymise(on=GONE_ON)
    assert not ActionPlan.objects.exists() and not PlanStep.objects.exists() and not PlanVersion.objects.exists()
    assert not IssuedDocument.objects.exists()
    assert Cep.objects.filter(beneficiary=dossier_with_plan).exists()  # the CEP stays for the statistics
    assert SECRET not in str(list(AuditEntry.objects.values_list("before", "after")))
