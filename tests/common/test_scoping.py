"""visible_to(user): one rule for every structure-owned model (dossiers, CEPs, events, services, offers)."""

import datetime

import pytest

from cep.accounts.rights import Right, Role
from cep.beneficiaries.models import Beneficiary
from cep.enrolments.models import Cep
from cep.enrolments.services import open_cep
from cep.events.models import Event
from cep.events.services import record_event
from cep.offers.models import Service, ServiceOffer
from cep.offers.services import propose_offer
from cep.referentials import models as ref
from tests.clock import today
from tests.factories import BeneficiaryFactory, StructureFactory, UserFactory, withdraw

pytestmark = pytest.mark.django_db
MODELS = (Beneficiary, Cep, Event, Service)


def _offer(name, **where):
    return ServiceOffer.objects.create(
        name=name,
        origin="structure",
        theme=ref.ServiceTheme.objects.get(code="formation"),
        service_act=ref.ServiceAct.objects.get(code="info_conseil_formations"),
        start_date=today() - datetime.timedelta(days=30),
        **where,
    )


@pytest.fixture
def world(structure, other_structure, counselor, other_counselor, cep_refs, event_refs):
    """In each of two structures: a dossier with a CEP, an event and a service; plus regional offers."""
    mine = BeneficiaryFactory(structure=structure, referent=counselor)
    theirs = BeneficiaryFactory(structure=other_structure, referent=other_counselor)
    rows = {}
    for b, actor in ((mine, counselor), (theirs, other_counselor)):
        open_cep(
            beneficiary=b,
            actor=actor,
            orientation_source=cep_refs["direct"],
            entry_date=today() - datetime.timedelta(days=10),
            entry_phase=2,
            request_reason=cep_refs["reason"],
        )
        record_event(beneficiary=b, actor=actor, date=today(), **event_refs)
        offer = _offer(f"Offre de {b.structure}", structure=b.structure, region_id=b.structure.region_id)
        propose_offer(beneficiary=b, offer=offer, actor=actor)
        rows[b.structure_id] = offer
    far = StructureFactory(region_id="11", department_id="75")
    rows["regional"] = _offer("Offre régionale", region_id="94")
    rows["elsewhere"] = _offer("Offre d'une autre région", region_id="11")
    rows["far"] = _offer("Offre d'une structure francilienne", structure=far, region_id="11")
    return rows


def test_a_counselor_sees_their_structure_only(world, structure, counselor):
    for model in MODELS:
        visible = model.objects.visible_to(counselor)
        assert visible.count() == 1 and {row.structure_id for row in visible} == {structure.pk}, model
    offers = set(ServiceOffer.objects.visible_to(counselor).values_list("name", flat=True))
    assert offers == {world[structure.pk].name, "Offre régionale"}  # their structure's and their region's


def test_an_administrator_without_structure_sees_everything(world):
    admin = UserFactory(username="admin_national", role=Role.ADMIN, structure=None)
    for model in (*MODELS, ServiceOffer):
        assert model.objects.visible_to(admin).count() == model.objects.count(), model


@pytest.mark.parametrize(
    "role, with_structure",
    [
        (Role.NATIONAL_OBSERVER, False),
        (Role.REGIONAL_OBSERVER, False),
        (Role.REGIONAL_OBSERVER, True),
        (Role.COUNSELOR, False),
        (Role.MANAGER, False),
    ],
)
def test_observers_and_staff_without_structure_see_nothing(world, structure, role, with_structure):
    # Not saved: the database refuses staff without a structure; the rule must refuse them anyway.
    user = UserFactory.build(role=role, structure=structure if with_structure else None)
    for model in (*MODELS, ServiceOffer):
        assert not model.objects.visible_to(user).exists(), model


def test_anonymous_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    for model in (*MODELS, ServiceOffer):
        assert not model.objects.visible_to(AnonymousUser()).exists(), model
        assert not model.objects.visible_to(None).exists(), model


def test_it_chains_like_any_queryset(world, counselor):
    mine = Beneficiary.objects.filter(referent=counselor).visible_to(counselor)
    assert list(mine) == list(Beneficiary.objects.visible_to(counselor).filter(referent=counselor))
    assert not Event.objects.filter(is_system=True).visible_to(counselor).exists()


def test_droits_without_view_dossier_no_person_is_visible(world, structure, counselor):
    """« Consulter les informations d'un dossier » gates every row about a person; the catalogue stays visible."""
    withdraw(counselor, Right.VIEW_DOSSIER)
    for model in MODELS:
        assert not model.objects.visible_to(counselor).exists(), model
    offers = set(ServiceOffer.objects.visible_to(counselor).values_list("name", flat=True))
    assert offers == {world[structure.pk].name, "Offre régionale"}
