"""Nobody grants more than they hold: every path that sets rights checks the *resulting* rights (issue 10, point 1).

The role's defaults (rights=None), a new account, a role change and a chosen list all go through the same check.
"""

import pytest
from django.urls import reverse

from cep.accounts.models import User
from cep.accounts.rights import ROLE_RIGHTS, Right, Role
from cep.accounts.services import create_user, update_user_rights
from cep.audit.models import AuditEntry
from cep.common.errors import RuleViolation
from tests.factories import withdraw

STRONG = "Vol-de-nuit-1931!"
# A manager keeps « Gérer la structure » to act at all; every other right of the role is withdrawn one at a time.
WITHDRAWABLE = sorted(ROLE_RIGHTS[Role.MANAGER] - {Right.MANAGE_STRUCTURE})


def _refused(call, right):
    with pytest.raises(RuleViolation) as err:
        call()
    assert err.value.rule == "DROITS"
    assert f"« {Right(right).label} »" in err.value.message
    return err.value


@pytest.mark.parametrize("right", WITHDRAWABLE)
def test_droits_restricted_manager_cannot_give_himself_the_role_defaults(manager, right):
    withdraw(manager, right)
    stored = list(manager.extra_rights)
    _refused(lambda: update_user_rights(user=manager, actor=manager, role=Role.MANAGER, rights=None), right)
    manager.refresh_from_db()
    assert manager.extra_rights == stored and not manager.has_right(right)
    assert not AuditEntry.objects.filter(action="update_user_rights").exists()


@pytest.mark.parametrize("right", WITHDRAWABLE)
def test_droits_restricted_manager_cannot_give_a_role_default_he_lacks(manager, counselor, right):
    withdraw(manager, right)
    withdraw(counselor, *ROLE_RIGHTS[Role.COUNSELOR] - {Right.VIEW_DOSSIER})  # the counselor holds one right only
    role = Role.COUNSELOR if right in ROLE_RIGHTS[Role.COUNSELOR] else Role.MANAGER  # a role whose defaults hold it
    _refused(lambda: update_user_rights(user=counselor, actor=manager, role=role, rights=None), right)
    _refused(lambda: update_user_rights(user=counselor, actor=manager, role=role, rights=[right]), right)
    counselor.refresh_from_db()
    assert counselor.role == Role.COUNSELOR and counselor.rights == {Right.VIEW_DOSSIER}


@pytest.mark.parametrize("right", WITHDRAWABLE)
def test_droits_restricted_manager_cannot_create_an_account_with_more(manager, structure, right):
    withdraw(manager, right)
    role = Role.COUNSELOR if right in ROLE_RIGHTS[Role.COUNSELOR] else Role.MANAGER
    _refused(
        lambda: create_user(structure=structure, actor=manager, username="recrue", password=STRONG, role=role), right
    )
    _refused(
        lambda: create_user(
            structure=structure, actor=manager, username="recrue", password=STRONG, role=role, rights=[right]
        ),
        right,
    )
    assert not User.objects.filter(username="recrue").exists()
    # what they hold, they may give
    held = sorted(ROLE_RIGHTS[role] & manager.rights)
    user = create_user(structure=structure, actor=manager, username="recrue", password=STRONG, role=role, rights=held)
    assert user.rights == set(held) and right not in user.rights


def test_droits_role_change_cannot_widen(manager, counselor):
    withdraw(manager, Right.EXPORT_MONTHLY)
    _refused(
        lambda: update_user_rights(user=counselor, actor=manager, role=Role.MANAGER, rights=None),
        Right.EXPORT_MONTHLY,
    )
    counselor.refresh_from_db()
    assert counselor.role == Role.COUNSELOR
    # the same promotion without the right the manager lacks is fine
    rights = sorted(ROLE_RIGHTS[Role.MANAGER] - {Right.EXPORT_MONTHLY})
    update_user_rights(user=counselor, actor=manager, role=Role.MANAGER, rights=rights)
    counselor.refresh_from_db()
    assert counselor.role == Role.MANAGER and counselor.rights == set(rights)


def test_counselor_defaults_hold_the_offers_right():
    """The guide's rights list gives a counselor « Gérer des offres de service » (issue 15, point 6)."""
    assert Right.MANAGE_OFFERS in ROLE_RIGHTS[Role.COUNSELOR]


def test_counselor_offers_right_can_be_withdrawn(manager, counselor):
    rights = sorted(ROLE_RIGHTS[Role.COUNSELOR] - {Right.MANAGE_OFFERS})
    update_user_rights(user=counselor, actor=manager, role=Role.COUNSELOR, rights=rights)
    counselor.refresh_from_db()
    assert counselor.extra_rights == rights and not counselor.has_right(Right.MANAGE_OFFERS)


# ---------------------------------------------------------------- the manager's pages


def test_droits_page_refuses_defaults_beyond_the_managers_rights(client, manager, counselor):
    withdraw(manager, Right.EVENTS)
    withdraw(counselor, Right.EVENTS)
    client.force_login(manager)
    url = reverse("manager:user_edit", args=[counselor.pk])
    response = client.post(url, {"role": "counselor", "use_defaults": "on"})
    assert response.status_code == 200
    assert "« Événements »" in response.content.decode()
    counselor.refresh_from_db()
    assert not counselor.has_right(Right.EVENTS)


def test_droits_create_page_refuses_defaults_beyond_the_managers_rights(client, manager):
    withdraw(manager, Right.PROPOSE_CEP)
    client.force_login(manager)
    data = {
        "username": "recrue",
        "first_name": "Léa",
        "last_name": "Martin",
        "role": "counselor",
        "use_defaults": "on",
        "password": STRONG,
        "password_confirm": STRONG,
    }
    response = client.post(reverse("manager:user_create"), data)
    assert response.status_code == 200 and "« Proposer CEP »" in response.content.decode()
    assert not User.objects.filter(username="recrue").exists()
    data.pop("use_defaults")
    data["rights"] = sorted(ROLE_RIGHTS[Role.COUNSELOR] - {Right.PROPOSE_CEP})
    assert client.post(reverse("manager:user_create"), data).status_code == 302
    assert User.objects.get(username="recrue").rights == set(data["rights"])


def test_a_right_ticked_with_the_defaults_checked_is_not_lost(client, manager, counselor):
    """Issue 14: ticking a right while « Droits par défaut du rôle » is checked was « enregistrés » and dropped."""
    withdraw(counselor, Right.MANAGE_OFFERS)  # shown unticked, with the defaults box unchecked
    client.force_login(manager)
    url = reverse("manager:user_edit", args=[counselor.pk])
    ticked = sorted(ROLE_RIGHTS[Role.COUNSELOR] | {Right.VIEW_AGGREGATES})
    response = client.post(url, {"role": "counselor", "use_defaults": "on", "rights": ticked})
    assert response.status_code == 200
    assert "Droits par défaut du rôle" in response.context["form"].errors["rights"][0]
    counselor.refresh_from_db()
    assert not counselor.has_right(Right.MANAGE_OFFERS) and not counselor.has_right(Right.VIEW_AGGREGATES)
    # unticking the box applies the ticked rights
    response = client.post(url, {"role": "counselor", "rights": ticked})
    assert response.status_code == 302
    counselor.refresh_from_db()
    assert counselor.rights == set(ticked)


def test_defaults_checked_with_the_ticks_left_as_shown_apply_the_defaults(client, manager, counselor):
    client.force_login(manager)
    url = reverse("manager:user_edit", args=[counselor.pk])
    shown = sorted(counselor.rights)
    response = client.post(url, {"role": "manager", "use_defaults": "on", "rights": shown})
    assert response.status_code == 302
    counselor.refresh_from_db()
    assert counselor.role == Role.MANAGER and counselor.extra_rights == []
