"""Services of the structure manager: users, rights, deactivation, structure settings (cep/accounts/services.py)."""

import pytest

from cep.accounts.models import User
from cep.accounts.rights import ROLE_RIGHTS, Right, Role
from cep.accounts.services import create_user, deactivate_user, update_structure_settings, update_user_rights
from cep.audit.models import AuditEntry
from cep.common.errors import RuleViolation
from tests.factories import UserFactory
from tests.web.fixtures_manager import admin_account  # noqa: F401

STRONG = "Vol-de-nuit-1931!"


def _audits(action, obj_id):
    return AuditEntry.objects.filter(action=action, object_type="user", object_id=obj_id)


def test_manager_creates_a_counselor_of_their_structure(manager, structure):
    user = create_user(
        structure=structure, actor=manager, username="nouvelle", password=STRONG, first_name="Anne", last_name="Roy"
    )
    assert user.structure == structure and user.role == Role.COUNSELOR and user.extra_rights == []
    assert user.check_password(STRONG)
    entry = _audits("create_user", user.pk).get()
    assert entry.actor_id == manager.pk and entry.structure_id == structure.pk
    assert "password" not in entry.after


@pytest.mark.parametrize("password", ["court1!", "123456789012", "password1234", "nouvelle2026!"])
def test_weak_passwords_are_refused_in_french(manager, structure, password):
    with pytest.raises(RuleViolation) as err:
        create_user(structure=structure, actor=manager, username="nouvelle", password=password)
    assert err.value.field == "password"
    assert err.value.message  # Django's validators speak French (LANGUAGE_CODE = "fr")
    assert not User.objects.filter(username="nouvelle").exists()


def test_password_message_is_french(manager, structure):
    with pytest.raises(RuleViolation) as err:
        create_user(structure=structure, actor=manager, username="nouvelle", password="court")
    assert "mot de passe" in err.value.message.lower()


def test_manager_cannot_give_the_admin_role(manager, structure):
    with pytest.raises(RuleViolation) as err:
        create_user(structure=structure, actor=manager, username="chef", password=STRONG, role=Role.ADMIN)
    assert err.value.rule == "DROITS"
    assert not User.objects.filter(username="chef").exists()


def test_manager_cannot_create_in_another_structure(manager, other_structure):
    with pytest.raises(RuleViolation) as err:
        create_user(structure=other_structure, actor=manager, username="intrus", password=STRONG)
    assert err.value.rule == "DROITS"


def test_counselor_cannot_create_users(counselor, structure):
    with pytest.raises(RuleViolation) as err:
        create_user(structure=structure, actor=counselor, username="x", password=STRONG)
    assert err.value.rule == "DROITS"


def test_duplicate_username_is_refused(manager, structure, counselor):
    with pytest.raises(RuleViolation) as err:
        create_user(structure=structure, actor=manager, username=counselor.username.upper(), password=STRONG)
    assert err.value.field == "username"


def test_rights_override_role_defaults_and_back(manager, counselor):
    rights = sorted(ROLE_RIGHTS[Role.COUNSELOR] - {Right.MANAGE_OFFERS})
    update_user_rights(user=counselor, actor=manager, role=Role.COUNSELOR, rights=rights)
    counselor.refresh_from_db()
    assert not counselor.has_right(Right.MANAGE_OFFERS)
    update_user_rights(user=counselor, actor=manager, role=Role.COUNSELOR, rights=None)
    counselor.refresh_from_db()
    assert counselor.extra_rights == [] and counselor.has_right(Right.MANAGE_OFFERS)
    entries = _audits("update_user_rights", counselor.pk).order_by("id")
    assert [e.after["extra_rights"] for e in entries] == [rights, []]


def test_rights_equal_to_role_defaults_are_stored_as_defaults(manager, counselor):
    update_user_rights(user=counselor, actor=manager, role=Role.MANAGER, rights=sorted(ROLE_RIGHTS[Role.MANAGER]))
    counselor.refresh_from_db()
    assert counselor.role == Role.MANAGER and counselor.extra_rights == []


def test_manager_cannot_give_a_right_they_do_not_hold(manager, counselor):
    manager.extra_rights = sorted(ROLE_RIGHTS[Role.MANAGER] - {Right.EXPORT_MONTHLY})
    manager.save()
    with pytest.raises(RuleViolation) as err:
        update_user_rights(user=counselor, actor=manager, role=Role.COUNSELOR, rights=[Right.EXPORT_MONTHLY])
    assert err.value.field == "rights"
    counselor.refresh_from_db()
    assert counselor.extra_rights == []


def test_manager_cannot_touch_another_structures_user(manager, other_counselor):
    with pytest.raises(RuleViolation) as err:
        update_user_rights(user=other_counselor, actor=manager, role=Role.MANAGER)
    assert err.value.rule == "DROITS"
    with pytest.raises(RuleViolation):
        deactivate_user(user=other_counselor, actor=manager)
    other_counselor.refresh_from_db()
    assert other_counselor.role == Role.COUNSELOR and other_counselor.is_active


def test_manager_cannot_change_an_admin(manager, structure):
    admin = UserFactory(username="admin_local", role=Role.ADMIN, structure=structure)
    with pytest.raises(RuleViolation):
        update_user_rights(user=admin, actor=manager, role=Role.COUNSELOR)
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN


def test_manager_cannot_remove_own_management(manager):
    with pytest.raises(RuleViolation):
        update_user_rights(user=manager, actor=manager, role=Role.COUNSELOR)
    with pytest.raises(RuleViolation):
        deactivate_user(user=manager, actor=manager)


def test_deactivate_keeps_the_account_and_audits(manager, counselor):
    deactivate_user(user=counselor, actor=manager)
    counselor.refresh_from_db()
    assert not counselor.is_active and not counselor.has_right(Right.MANAGE_DOSSIERS)
    assert _audits("deactivate_user", counselor.pk).get().after["is_active"] is False
    with pytest.raises(RuleViolation):
        deactivate_user(user=counselor, actor=manager)


def test_admin_without_structure_manages_any_structure(admin_account, other_structure):  # noqa: F811
    user = create_user(structure=other_structure, actor=admin_account, username="recrue", password=STRONG)
    assert user.structure == other_structure


def test_structure_setting_distinguishes_phases(manager, structure, counselor):
    update_structure_settings(structure=structure, actor=manager, distinguishes_phases=False)
    structure.refresh_from_db()
    assert structure.distinguishes_phases is False
    entry = AuditEntry.objects.get(action="update_structure_settings", object_id=structure.pk)
    assert entry.before["distinguishes_phases"] is True and entry.after["distinguishes_phases"] is False
    with pytest.raises(RuleViolation):
        update_structure_settings(structure=structure, actor=counselor, distinguishes_phases=True)


def test_national_rights_are_never_given_to_structure_staff(counselor):
    from cep.accounts.models import User

    admin = User.objects.create(username="admin_national_rights", role=Role.ADMIN)
    with pytest.raises(RuleViolation) as err:
        update_user_rights(
            user=counselor, actor=admin, role=Role.COUNSELOR, rights=[Right.VIEW_DOSSIER, Right.RECEIVE_MONTHLY]
        )
    assert err.value.field == "rights" and "observateur national" in err.value.message
    counselor.refresh_from_db()
    assert not counselor.has_right(Right.RECEIVE_MONTHLY)
