"""The demo accounts stay usable with the second factor (issue 10, point 10): staff with management rights get
a TOTP device with a published key and the published recovery codes; the demo API keys are always valid."""

import datetime
import io

from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp import devices_for_user, match_token

from cep.accounts.models import ApiToken, User
from cep.demo import catalogue as cat
from cep.demo.accounts import ACCOUNTS, DEMO_PASSWORD, DEMO_RECOVERY_CODES, demo_totp_code, demo_totp_secret
from tests.factories import StructureFactory


def _demo(refdata):
    StructureFactory(name=cat.DEMO_ML)
    StructureFactory(name=cat.DEMO_FT)
    out = io.StringIO()
    call_command("demo_accounts", stdout=out)
    return out.getvalue()


def test_demo_managers_sign_in_with_the_printed_second_factor(refdata):
    text = _demo(refdata)
    assert demo_totp_secret("responsable.ml") in text and DEMO_RECOVERY_CODES[0] in text
    assert "manage.py demo_otp" in text
    client = Client()
    client.post(reverse("web:login"), {"username": "responsable.ml", "password": DEMO_PASSWORD})
    assert client.get(reverse("manager:structure")).url.startswith(reverse("web:otp_verify"))
    response = client.post(reverse("web:otp_verify"), {"code": demo_totp_code("responsable.ml")})
    assert response.status_code == 302
    assert client.get(reverse("manager:structure")).status_code == 200
    # The recovery codes, printed too, come back at each run of the demo.
    user = User.objects.get(username="responsable.ml")
    for device in devices_for_user(user):
        device.throttle_reset()  # the TOTP code typed above counts as a failure for the recovery codes' device
    assert match_token(user, DEMO_RECOVERY_CODES[0]) is not None
    assert match_token(user, DEMO_RECOVERY_CODES[0]) is None
    call_command("demo_accounts", stdout=io.StringIO())
    assert match_token(user, DEMO_RECOVERY_CODES[0]) is not None


def test_every_demo_account_with_management_rights_is_enrolled(refdata):
    _demo(refdata)
    for account in ACCOUNTS:
        user = User.objects.get(username=account.username)
        enrolled = user.totpdevice_set.filter(confirmed=True).exists()
        assert enrolled == user.needs_second_factor, account.username


def test_the_demo_api_key_is_renewed_when_expired(refdata):
    _demo(refdata)
    key = next(a.api_key for a in ACCOUNTS if a.username == "conseiller.ml")
    ApiToken.objects.filter(key_hash=ApiToken.hash(key)).update(expires_at=timezone.now() - datetime.timedelta(days=1))
    call_command("demo_accounts", stdout=io.StringIO())
    token = ApiToken.objects.get(key_hash=ApiToken.hash(key))
    assert token.is_valid
    assert ApiToken.objects.filter(user__username="conseiller.ml").count() == 1


def test_demo_otp_prints_the_code_of_the_moment(capsys):
    call_command("demo_otp")
    out = capsys.readouterr().out
    assert f"responsable.ml : {demo_totp_code('responsable.ml')}" in out and "conseiller.ml" not in out
