"""Second factor of staff with management rights: a TOTP device (authenticator app) and recovery codes.

django-otp stores the devices: TOTPDevice (confirmed once the user typed a first code) and StaticDevice (the
recovery codes, each usable once). One transaction each.
"""

import secrets

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cep.audit.services import record
from cep.common.errors import RuleViolation

from .models import User
from .services import _ensure_user_of

RECOVERY_CODE_COUNT = 10
TOTP_NAME = "Application d'authentification"
RECOVERY_NAME = "Codes de secours"


@transaction.atomic
def pending_totp_device(user: User) -> TOTPDevice:
    """The user's unconfirmed TOTP device (created the first time): the enrolment page shows its QR code."""
    User.objects.select_for_update().get(pk=user.pk)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


@transaction.atomic
def confirm_totp_device(user: User, device_id: int, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending device with a first code; returns it and fresh recovery codes (shown once)."""
    device = TOTPDevice.objects.select_for_update().filter(pk=device_id, user=user, confirmed=False).first()
    if device is None:
        raise RuleViolation("DOUBLE_AUTHENTIFICATION", "Enrôlement expiré : rechargez la page.", field="code")
    if not device.verify_token((code or "").replace(" ", "")):
        raise RuleViolation(
            "DOUBLE_AUTHENTIFICATION",
            "Code incorrect : saisissez les 6 chiffres affichés par l'application (l'heure du téléphone doit être "
            "juste).",
            field="code",
        )
    device.confirmed = True
    device.save()
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()  # one authenticator per account
    return device, _replace_recovery_codes(user)


@transaction.atomic
def new_recovery_codes(user: User) -> list[str]:
    """Replace the recovery codes (the old ones stop working); shown once."""
    User.objects.select_for_update().get(pk=user.pk)
    return _replace_recovery_codes(user)


def set_recovery_codes(user: User, codes: list[str]) -> StaticDevice:
    """Given recovery codes (the demonstration's published ones). Inside the caller's transaction."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    device.throttle_reset()  # new codes: earlier failures no longer delay them
    return device


def _replace_recovery_codes(user: User) -> list[str]:
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(RECOVERY_CODE_COUNT)]
    set_recovery_codes(user, codes)
    return codes


@transaction.atomic
def reset_second_factor(*, user: User, actor) -> User:
    """Forget the second factor of a user who lost it (phone lost, codes used up): the authenticator and the recovery
    codes are removed, and the next sign-in enrols a new device. By a manager of the user's structure (never for
    oneself, never for an administrator), or by the platform's operators with `manage.py reset_second_factor`
    (actor None). Recorded in the history."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if actor is not None:
        _ensure_user_of(actor, user)
        if user.pk == actor.pk:
            raise RuleViolation(
                "DROITS",
                "Vous ne pouvez pas réinitialiser votre propre double authentification : demandez-le à un autre "
                "responsable de la structure ou à l'administrateur.",
            )
    totp = TOTPDevice.objects.filter(user=user, confirmed=True).count()
    codes = StaticToken.objects.filter(device__user=user).count()
    if not totp and not codes:
        raise RuleViolation(
            "DOUBLE_AUTHENTIFICATION",
            "Ce compte n'a pas de double authentification enregistrée : il en choisira une à sa prochaine connexion.",
        )
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    record(
        actor=actor,
        action="reset_second_factor",
        obj=user,
        before={"authenticators": totp, "recovery_codes": codes},
        after={"authenticators": 0, "recovery_codes": 0},
        structure_id=user.structure_id,
    )
    return user
