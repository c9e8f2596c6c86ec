"""The services written with audited() keep the audit rows they wrote before: which action, when, what before/after."""

import pytest

from cep.accounts.rights import Role
from cep.accounts.services import create_user, deactivate_user, update_structure_settings, update_user_rights
from cep.audit.models import AuditEntry
from cep.beneficiaries.services import create_beneficiary, justify_beneficiary, update_beneficiary
from cep.common.errors import RuleViolation
from cep.events.services import record_event, update_event
from cep.offers.services import propose_offer, update_offer
from tests.clock import today
from tests.factories import BeneficiaryFactory, UserFactory

pytestmark = pytest.mark.django_db


def entries(**kwargs):
    return list(AuditEntry.objects.filter(**kwargs).order_by("id"))


@pytest.fixture
def offer(cep_offer):
    return cep_offer


def test_beneficiary_rows(structure, counselor):
    b = create_beneficiary(
        structure=structure,
        actor=counselor,
        last_name="Durand",
        first_name="Léa",
        sex="F",
        birth_date=today().replace(year=today().year - 20, day=1),
        first_reception_date=today(),
    )
    (created,) = entries(action="create_beneficiary")
    assert created.before is None and created.beneficiary_id == b.pk == created.object_id
    assert "search_name" not in created.after and created.after["referent_id"] == counselor.pk

    update_beneficiary(beneficiary=b, actor=counselor, phone=b.phone)  # nothing changes: nothing recorded
    assert entries(action="update_beneficiary") == []
    update_beneficiary(beneficiary=b, actor=counselor, phone="0601020304")
    (updated,) = entries(action="update_beneficiary")
    assert updated.changes() == [("phone", "", "0601020304")] and updated.beneficiary_id == b.pk

    with pytest.raises(RuleViolation):  # incomplete dossier: refused, nothing recorded
        justify_beneficiary(beneficiary=b, actor=counselor)
    assert entries(action="justify_beneficiary") == []


def test_justify_is_recorded_once(structure, counselor):
    b = BeneficiaryFactory(structure=structure, referent=counselor, status="incomplete", justified_at=None)
    justify_beneficiary(beneficiary=b, actor=counselor)
    justify_beneficiary(beneficiary=b, actor=counselor)  # already « Justifié »: no second row
    (entry,) = entries(action="justify_beneficiary")
    assert (entry.before["status"], entry.after["status"]) == ("incomplete", "justified")
    assert entry.beneficiary_id == b.pk and entry.structure_id == structure.pk


def test_event_rows(beneficiary, counselor, event_refs):
    event = record_event(beneficiary=beneficiary, actor=counselor, date=today(), **event_refs)
    (recorded,) = entries(action="record_event")
    assert recorded.before is None and recorded.beneficiary_id == beneficiary.pk
    assert "updated_at" not in recorded.after
    update_event(event=event, actor=counselor, comment="")  # unchanged
    assert entries(action="update_event") == []
    update_event(event=event, actor=counselor, comment="Appel")
    (updated,) = entries(action="update_event")
    assert updated.changes() == [("comment", "", "Appel")]


def test_offer_rows(structure, manager, beneficiary, counselor, offer, event_refs):
    (created,) = entries(action="create_offer")
    assert created.before is None and created.structure_id == structure.pk
    update_offer(offer=offer, actor=manager, name=offer.name)  # recorded even unchanged, as before
    update_offer(offer=offer, actor=manager, name="Offre renommée")
    first, second = entries(action="update_offer")
    assert first.before == first.after and second.changes() == [("name", "Offre CEP", "Offre renommée")]

    service = propose_offer(beneficiary=beneficiary, offer=offer, actor=counselor, event=event_refs)
    (proposed,) = entries(action="propose_offer")
    assert proposed.object_id == service.pk and proposed.before is None
    assert proposed.after["event_id"] == service.event_id and proposed.beneficiary_id == beneficiary.pk
    assert len(entries(action="record_event", object_id=service.event_id)) == 1


def test_user_and_structure_rows(structure, manager):
    user = create_user(structure=structure, actor=manager, username="nouvelle", password="Un-mot-de-passe-long-42")
    (created,) = entries(action="create_user")
    assert created.before is None and "password" not in created.after and created.object_id == user.pk

    update_user_rights(user=user, actor=manager, role=Role.MANAGER)
    (rights,) = entries(action="update_user_rights")
    assert (rights.before["role"], rights.after["role"]) == (Role.COUNSELOR, Role.MANAGER)

    deactivate_user(user=user, actor=manager)
    (deactivated,) = entries(action="deactivate_user")
    assert deactivated.changes() == [("is_active", True, False)]
    with pytest.raises(RuleViolation):  # already deactivated: refused, no second row
        deactivate_user(user=user, actor=manager)
    assert len(entries(action="deactivate_user")) == 1

    admin = UserFactory(username="admin_structure", role=Role.ADMIN, structure=structure)
    with pytest.raises(RuleViolation):
        update_user_rights(user=admin, actor=manager, role=Role.COUNSELOR)
    assert entries(action="update_user_rights", object_id=admin.pk) == []

    update_structure_settings(structure=structure, actor=manager, distinguishes_phases=False)
    (settings,) = entries(action="update_structure_settings")
    assert settings.changes() == [("distinguishes_phases", True, False)]
    assert settings.structure_id == structure.pk and settings.object_type == "structure"
