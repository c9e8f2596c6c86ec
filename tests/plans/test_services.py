import datetime
from decimal import Decimal

import pytest

from cep.audit.models import AuditEntry
from cep.common.errors import RuleViolation
from cep.enrolments.services import close_cep
from cep.plans import services
from cep.plans.models import FundingStatus, PlanVersion
from tests.clock import today


def test_plan_created_once_with_its_first_version(plan, cep, counselor):
    assert plan.version == 1
    assert services.create_plan(cep=cep, actor=counselor).pk == plan.pk
    version = PlanVersion.objects.get(plan=plan)
    assert version.number == 1 and version.created_by == counselor
    assert AuditEntry.objects.filter(action="create_plan", object_id=plan.pk).exists()


def test_every_save_is_a_version_with_its_author(plan, counselor):
    step = services.add_step(
        plan=plan, actor=counselor, title="Se renseigner sur le métier", objective="Trois enquêtes"
    )
    services.add_action(step=step, actor=counselor, label="Enquête métier", who="La personne", due_date=today())
    services.update_plan(plan=plan, actor=counselor, project="Devenir ébéniste", total_cost="4 500,00")
    numbers = list(plan.versions.values_list("number", "created_by_label"))
    assert [n for n, _ in numbers] == [4, 3, 2, 1]
    assert all(label == str(counselor) for _, label in numbers)
    plan.refresh_from_db()
    assert plan.version == 4 and plan.total_cost == Decimal("4500.00")
    assert AuditEntry.objects.filter(object_type="actionplan", object_id=plan.pk).count() == 4


def test_plan_financing_line_accepted_with_cents(plan, counselor):
    line = services.add_financing_line(plan=plan, actor=counselor, funder="cpf", amount="1234.56")
    assert line.amount == Decimal("1234.56") and line.status == FundingStatus.CONSIDERED
    line = services.update_financing_line(line=line, actor=counselor, status="sollicite")
    line = services.update_financing_line(line=line, actor=counselor, status="accorde")
    assert line.status == "accorde"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"funder": "cpf", "amount": "-10"}, "ne peut pas être négatif"),
        ({"funder": "cpf", "amount": None, "status": "accorde"}, "accordé a un montant"),
        ({"funder": "loterie", "amount": "10"}, "n'est pas un financeur du référentiel"),
        ({"funder": "cpf", "amount": 10.5}, "pas en nombre flottant"),
        ({"funder": "cpf", "amount": "10.555"}, "deux décimales"),
        ({"funder": "cpf", "amount": "dix euros"}, "n'est pas un nombre"),
    ],
)
def test_plan_financing_refusals_change_nothing(plan, counselor, plan_state, values, message):
    before = plan_state()
    with pytest.raises(RuleViolation, match=message):
        services.add_financing_line(plan=plan, actor=counselor, **values)
    assert plan_state() == before


def test_plan_financing_status_follows_its_order(plan, counselor, plan_state):
    line = services.add_financing_line(plan=plan, actor=counselor, funder="opco", amount="800")
    before = plan_state()
    with pytest.raises(RuleViolation, match="ne passe pas"):
        services.update_financing_line(line=line, actor=counselor, status="accorde")
    assert plan_state() == before
    services.update_financing_line(line=line, actor=counselor, status="sollicite")
    with pytest.raises(RuleViolation, match="accordé a un montant"):
        services.update_financing_line(line=line, actor=counselor, status="accorde", amount=None)


def test_plan_disability_aids_are_their_own_funders(plan, counselor):
    line = services.add_financing_line(plan=plan, actor=counselor, funder="aide_handicap_agefiph_fiphfp", amount="300")
    assert line.funder.is_disability_aid


def test_formacode_five_digits_accepted_and_refused(plan, counselor, plan_state):
    training = services.add_training(
        plan=plan,
        actor=counselor,
        provider="AFPA",
        title="Menuisier agenceur",
        formacode="22454",
        formacode_label="Menuiserie agencement",
        certification_kind="RNCP",
        certification_code="RNCP35185",
        qualiopi="certifie",
        start_date=today(),
        end_date=today() + datetime.timedelta(days=200),
    )
    assert training.certification_code == "35185"
    before = plan_state()
    for values, message in (
        ({"formacode": "2245"}, "cinq chiffres"),
        ({"formacode": "22A54"}, "cinq chiffres"),
        ({"certification_kind": "RS", "certification_code": ""}, "répertoire"),
        ({"end_date": today() - datetime.timedelta(days=1)}, "date de fin"),
    ):
        with pytest.raises(RuleViolation, match=message):
            services.update_training(training=training, actor=counselor, **values)
        assert plan_state() == before


def test_plan_step_refusals(plan, counselor, plan_state):
    before = plan_state()
    with pytest.raises(RuleViolation, match="nom de l'étape"):
        services.add_step(plan=plan, actor=counselor, title="  ")
    with pytest.raises(RuleViolation, match="échéance"):
        services.add_step(
            plan=plan, actor=counselor, title="A", start_date=today(), target_date=today() - datetime.timedelta(days=1)
        )
    assert plan_state() == before


def test_plan_action_status_and_who(plan, counselor, plan_state):
    step = services.add_step(plan=plan, actor=counselor, title="Étape")
    action = services.add_action(step=step, actor=counselor, label="Appeler l'OPCO", who="Le conseiller")
    action = services.update_action(action=action, actor=counselor, status="realisee")
    assert action.get_status_display() == "Réalisée"
    before = plan_state()
    with pytest.raises(RuleViolation, match="prévue, en cours"):
        services.update_action(action=action, actor=counselor, status="oubliee")
    with pytest.raises(RuleViolation, match="qui réalise"):
        services.add_action(step=step, actor=counselor, label="X", who="")
    assert plan_state() == before


def test_plan_complementary_service_from_the_referential(plan, counselor, plan_state):
    item = services.add_service(plan=plan, actor=counselor, service="vae", comment="Livret 1")
    assert item.service.label.startswith("Validation des acquis")
    before = plan_state()
    with pytest.raises(RuleViolation, match="prestation complémentaire"):
        services.add_service(plan=plan, actor=counselor, service="stage_de_surf")
    assert plan_state() == before


def test_plan_remove_step_is_a_version(plan, counselor):
    step = services.add_step(plan=plan, actor=counselor, title="Étape à retirer")
    services.remove_item(kind="step", pk=step.pk, actor=counselor)
    plan.refresh_from_db()
    assert plan.version == 3 and not plan.steps.exists()
    assert "Étape à retirer" in str(plan.versions.get(number=2).data)


def test_plan_refused_to_another_structure(plan, other_counselor, plan_state):
    before = plan_state()
    with pytest.raises(RuleViolation) as refused:
        services.add_step(plan=plan, actor=other_counselor, title="Intrusion")
    assert refused.value.rule == "DROITS"
    assert plan_state() == before


def test_plan_frozen_once_the_cep_is_closed(plan, cep, counselor, cep_refs, plan_state):
    close_cep(cep=cep, actor=counselor, end_date=today(), exit_reason=cep_refs["formalised"])
    before = plan_state()
    with pytest.raises(RuleViolation, match="clôturé"):
        services.add_step(plan=plan, actor=counselor, title="Trop tard")
    assert plan_state() == before
