"""Account services (issue 10, point 10): token issue/revoke, reset-link rights, second-factor enrolment."""

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cep.accounts import second_factor, tokens
from cep.accounts.models import ApiToken
from cep.accounts.passwords import password_reset_token
from cep.accounts.rights import Role
from cep.common.errors import RuleViolation
from tests.factories import UserFactory


def test_a_token_is_issued_only_for_an_offered_validity(counselor):
    with pytest.raises(RuleViolation) as refused:
        tokens.issue_token(user=counselor, name="Logiciel", days=10_000)
    assert refused.value.field == "days" and not ApiToken.objects.exists()
    with pytest.raises(RuleViolation):
        tokens.issue_token(user=counselor, name="   ", days=90)
    token, key = tokens.issue_token(user=counselor, name="Logiciel", days=90)
    assert token.is_valid and token.status == "Actif"


def test_a_user_revokes_only_his_own_tokens(counselor, other_counselor):
    token, _ = ApiToken.issue(other_counselor)
    with pytest.raises(RuleViolation):
        tokens.revoke_token(user=counselor, token_id=token.pk)
    token.refresh_from_db()
    assert token.revoked_at is None
    tokens.revoke_token(user=other_counselor, token_id=token.pk)
    token.refresh_from_db()
    assert token.revoked_at is not None and token.status == "Révoqué"


def test_reset_links_only_for_users_of_a_managed_structure(manager, counselor, other_counselor, structure):
    uid, token = password_reset_token(user=counselor, actor=manager)
    assert uid and token
    for target, actor in ((other_counselor, manager), (manager, counselor), (manager, manager)):
        with pytest.raises(RuleViolation) as refused:
            password_reset_token(user=target, actor=actor)
        assert refused.value.rule == "DROITS"
    admin = UserFactory(username="adm", role=Role.ADMIN, structure=None)
    with pytest.raises(RuleViolation):
        password_reset_token(user=admin, actor=manager)
    counselor.is_active = False
    counselor.save()
    with pytest.raises(RuleViolation):
        password_reset_token(user=counselor, actor=manager)


def test_enrolment_confirms_one_device_and_gives_ten_recovery_codes(manager):
    device = second_factor.pending_totp_device(manager)
    assert second_factor.pending_totp_device(manager).pk == device.pk  # the same until confirmed
    with pytest.raises(RuleViolation) as refused:
        second_factor.confirm_totp_device(manager, device.pk, "abc")
    assert refused.value.field == "code"
    code = f"{TOTP(device.bin_key).token():06d}"
    confirmed, codes = second_factor.confirm_totp_device(manager, device.pk, code)
    assert confirmed.confirmed and len(codes) == 10
    assert TOTPDevice.objects.filter(user=manager).count() == 1
    assert sorted(StaticToken.objects.filter(device__user=manager).values_list("token", flat=True)) == sorted(codes)


def test_tokens_and_reset_links_leave_a_history_row_without_the_secret(manager, counselor):
    from cep.audit.models import AuditEntry

    token, key = tokens.issue_token(user=counselor, name="Logiciel", days=90)
    tokens.revoke_token(user=counselor, token_id=token.pk)
    tokens.revoke_token(user=counselor, token_id=token.pk)  # already revoked: nothing more to record
    _, link_token = password_reset_token(user=counselor, actor=manager)
    rows = list(AuditEntry.objects.order_by("id").values_list("action", "actor_id", "object_type", "object_id"))
    assert rows == [
        ("issue_api_token", counselor.pk, "apitoken", token.pk),
        ("revoke_api_token", counselor.pk, "apitoken", token.pk),
        ("password_reset_link", manager.pk, "user", counselor.pk),
    ]
    written = str(list(AuditEntry.objects.values_list("before", "after")))
    assert key not in written and token.key_hash not in written and link_token not in written
    with pytest.raises(RuleViolation):
        tokens.issue_token(user=counselor, name="", days=90)
    assert AuditEntry.objects.count() == 3  # a refused issue writes nothing


def test_a_manager_resets_the_lost_second_factor_of_a_user_of_his_structure(manager, structure, other_structure):
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django_otp.plugins.otp_static.models import StaticDevice

    from cep.audit.models import AuditEntry

    colleague = UserFactory(username="resp2", role=Role.MANAGER, structure=structure)
    device = second_factor.pending_totp_device(colleague)
    second_factor.confirm_totp_device(colleague, device.pk, f"{TOTP(device.bin_key).token():06d}")
    stranger = UserFactory(username="resp_b", role=Role.MANAGER, structure=other_structure)
    for target, actor in ((stranger, manager), (manager, manager)):
        with pytest.raises(RuleViolation) as refused:
            second_factor.reset_second_factor(user=target, actor=actor)
        assert refused.value.rule == "DROITS"
    assert not AuditEntry.objects.filter(action="reset_second_factor").exists()
    second_factor.reset_second_factor(user=colleague, actor=manager)
    assert not TOTPDevice.objects.filter(user=colleague).exists()
    assert not StaticDevice.objects.filter(user=colleague).exists()
    entry = AuditEntry.objects.get(action="reset_second_factor")
    assert (entry.actor_id, entry.object_id, entry.before) == (
        manager.pk,
        colleague.pk,
        {
            "authenticators": 1,
            "recovery_codes": second_factor.RECOVERY_CODE_COUNT,
        },
    )
    with pytest.raises(RuleViolation) as nothing_left:  # nothing to reset twice
        second_factor.reset_second_factor(user=colleague, actor=manager)
    assert nothing_left.value.rule == "DOUBLE_AUTHENTIFICATION"
    # The operators' command, for observers and administrators (no structure manager above them).
    observer = UserFactory(username="obs", role=Role.NATIONAL_OBSERVER, structure=None)
    second_factor.set_recovery_codes(observer, ["12345678"])
    call_command("reset_second_factor", "obs")
    assert not StaticDevice.objects.filter(user=observer).exists()
    assert AuditEntry.objects.filter(action="reset_second_factor", actor_id=None, object_id=observer.pk).exists()
    with pytest.raises(CommandError):
        call_command("reset_second_factor", "obs")
    with pytest.raises(CommandError):
        call_command("reset_second_factor", "personne")
