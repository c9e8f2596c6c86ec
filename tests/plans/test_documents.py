"""The three documents: content from the database, PDF/UA-1 subset, identical bytes, issued copies kept."""

import datetime
import hashlib

import pytest
from django.db import DatabaseError, transaction

from cep.common.errors import RuleViolation
from cep.enrolments.services import close_cep
from cep.events.services import record_event
from cep.offers.services import propose_offer
from cep.plans import services
from cep.plans.documents.content import synthesis_data
from cep.plans.documents.render import TEMPLATE_VERSIONS, render
from cep.plans.models import IssuedDocument
from cep.referentials.models import ExitReason, ProjectType
from tests.clock import today
from tests.plans.pdfcheck import problems, text


@pytest.fixture
def full_plan(plan, counselor):
    step = services.add_step(
        plan=plan,
        actor=counselor,
        title="Découvrir le métier d'ébéniste",
        objective="Trois enquêtes métier",
        start_date=today(),
        target_date=today() + datetime.timedelta(days=30),
    )
    services.add_action(step=step, actor=counselor, label="Rencontrer un artisan", who="La personne", due_date=today())
    services.add_step(plan=plan, actor=counselor, title="Financer la formation")
    services.add_step(plan=plan, actor=counselor, title="Entrer en formation")
    services.add_training(
        plan=plan,
        actor=counselor,
        provider="AFPA Rungis",
        title="Menuisier agenceur",
        certification_kind="RNCP",
        certification_code="35185",
        formacode="22454",
        formacode_label="Menuiserie agencement",
        qualiopi="certifie",
        start_date=today() + datetime.timedelta(days=60),
    )
    services.add_service(
        plan=plan, actor=counselor, service="pmsmp", planned_date=today() + datetime.timedelta(days=10)
    )
    services.update_plan(
        plan=plan,
        actor=counselor,
        project="Devenir menuisier agenceur",
        strategies="Formation certifiante après une immersion",
        total_cost="6000",
    )
    line = services.add_financing_line(plan=plan, actor=counselor, funder="cpf", amount="2500", status="sollicite")
    services.update_financing_line(line=line, actor=counselor, status="accorde")
    services.add_financing_line(plan=plan, actor=counselor, funder="transitions_pro", amount="3000")
    return plan


@pytest.fixture
def cep_event(cep, counselor, event_refs):
    return record_event(beneficiary=cep.beneficiary, actor=counselor, date=today(), **event_refs)


def test_synthesis_pdf_is_accessible_and_says_everything(full_plan, cep, counselor, cep_event):
    document = services.issue_synthesis(cep=cep, actor=counselor)
    pdf = bytes(document.content)
    assert problems(pdf) == []
    words = text(pdf)
    for part in (
        "Document de synthèse",
        cep.structure.name,
        cep.beneficiary.last_name.upper(),
        str(counselor),
        today().strftime("%d/%m/%Y"),
        "Les services reçus pendant le CEP",
        "Les échanges du CEP",
        "Entretien individuel",
        "Formalisation du projet",
        "Devenir menuisier agenceur",
        "Plan d'action",
        "Découvrir le métier d'ébéniste",
        "Rencontrer un artisan",
        "Menuisier agenceur",
        "RNCP35185",
        "22454",
        "Compte personnel de formation",
        "Reste à charge",
        "3 500,00",
    ):
        assert part in words, part
    assert document.sha256 == hashlib.sha256(pdf).hexdigest()
    assert document.template_version == TEMPLATE_VERSIONS["synthese"]
    assert document.plan_version.number == full_plan.versions.order_by("-number").first().number


def test_synthesis_rendered_twice_gives_identical_bytes(full_plan, cep, counselor):
    data = synthesis_data(cep, full_plan, counselor=counselor, on=today())
    assert render("synthese", data, on=today()) == render("synthese", data, on=today())
    first = services.issue_synthesis(cep=cep, actor=counselor)
    second = services.issue_synthesis(cep=cep, actor=counselor)
    assert first.pk != second.pk and first.sha256 == second.sha256


def test_synthesis_parts_follow_the_exit(full_plan, cep, counselor, cep_refs):
    close_cep(
        cep=cep,
        actor=counselor,
        end_date=today(),
        exit_reason=ExitReason.objects.get(code="formalisation_projet_realisee"),
    )
    words = text(bytes(services.issue_synthesis(cep=cep, actor=counselor).content))
    assert "Formalisation du projet" in words and "Plan d'action" not in words


def test_synthesis_plan_part_after_plan_action_realise(full_plan, cep, counselor, cep_refs):
    close_cep(
        cep=cep,
        actor=counselor,
        end_date=today(),
        exit_reason=cep_refs["plan"],
        project_type=ProjectType.objects.get(code="reconversion"),
    )
    words = text(bytes(services.issue_synthesis(cep=cep, actor=counselor).content))
    assert "Plan d'action" in words and "Plan d'action réalisé" in words


def test_step_back_document(cep, counselor):
    document = services.issue_step_back(
        cep=cep,
        actor=counselor,
        interview_date=today(),
        demand="Faire le point",
        discussed="Mes envies",
        next_steps="",
    )
    pdf = bytes(document.content)
    assert problems(pdf) == []
    words = text(pdf)
    assert "Prise de recul" in words and "Mes envies" in words and "Non renseigné" in words


def test_step_back_refused_without_what_was_discussed(cep, counselor):
    with pytest.raises(RuleViolation, match="regardé ensemble"):
        services.issue_step_back(cep=cep, actor=counselor, demand="x", discussed=" ")
    assert not IssuedDocument.objects.exists()


@pytest.fixture
def level1_service(beneficiary, cep_offer, counselor, event_refs):
    return propose_offer(beneficiary=beneficiary, offer=cep_offer, actor=counselor, event=event_refs)


def test_level1_document_exists_without_any_cep(level1_service, counselor):
    document = services.issue_level1(
        service=level1_service,
        actor=counselor,
        demand="Changer de métier",
        need="Connaître les formations du bois",
        information="Les métiers du bois, le CPF",
        decision="Poursuivre en conseil personnalisé",
        orientation="",
    )
    assert document.cep is None and document.service == level1_service
    pdf = bytes(document.content)
    assert problems(pdf) == []
    words = text(pdf)
    for part in ("Document de niveau 1", "Changer de métier", "Connaître les formations", "Poursuivre en conseil"):
        assert part in words
    assert "Orientation vers un autre opérateur" not in words


def test_level1_document_refusals(level1_service, counselor, other_counselor):
    with pytest.raises(RuleViolation, match="demande"):
        services.issue_level1(service=level1_service, actor=counselor, demand="", decision="Oui")
    with pytest.raises(RuleViolation) as refused:
        services.issue_level1(service=level1_service, actor=other_counselor, demand="x", decision="y")
    assert refused.value.rule == "DROITS"
    assert not IssuedDocument.objects.exists()


def test_issued_copy_is_never_overwritten(cep, counselor):
    document = services.issue_synthesis(cep=cep, actor=counselor)
    with pytest.raises(DatabaseError), transaction.atomic():
        IssuedDocument.objects.filter(pk=document.pk).update(content=b"autre chose")
    document.refresh_from_db()
    assert hashlib.sha256(bytes(document.content)).hexdigest() == document.sha256


def test_synthesis_refused_to_another_structure(cep, other_counselor):
    with pytest.raises(RuleViolation):
        services.issue_synthesis(cep=cep, actor=other_counselor)
    assert not IssuedDocument.objects.exists()
