"""Second factor for staff with management rights (issue 10, point 10): TOTP enrolment the first time, then a
code (or a single-use recovery code) after every password; counselors are not asked. These tests sign in
through the login page (client.force_login passes the second factor: tests/conftest.py)."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import devices_for_user
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from cep.accounts.rights import Right, Role
from tests.api.conftest import client_for
from tests.factories import UserFactory

PASSWORD = "motdepasse-solide-123"


def _sign_in(user) -> Client:
    client = Client()
    response = client.post(reverse("web:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in client.session
    return client


def _code(device: TOTPDevice, drift: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + drift * device.step
    return f"{totp.token():0{device.digits}d}"


def _reset_throttles(user):
    for device in devices_for_user(user):
        device.throttle_reset()


def _enrol(client, user) -> list[str]:
    page = client.get(reverse("web:otp_enrol"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("web:otp_enrol"), {"code": _code(device), "next": "/structure/"})
    assert response.status_code == 200 and "Vos codes de secours" in response.content.decode()
    return re.findall(r"<li><code>(\d{8})</code></li>", response.content.decode())


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN, Role.REGIONAL_OBSERVER, Role.NATIONAL_OBSERVER])
def test_management_staff_see_no_page_before_enrolling(structure, role):
    region = "84" if role == Role.REGIONAL_OBSERVER else None
    in_structure = structure if role == Role.MANAGER else None
    user = UserFactory(username=f"u_{role}", role=role, structure=in_structure, region_id=region)
    client = _sign_in(user)
    for url in (reverse("web:home"), reverse("reporting:dashboard"), reverse("web:account"), "/admin/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("web:otp_enrol") + "?next="), url


def test_enrolment_shows_a_qr_code_and_refuses_a_wrong_code(manager):
    client = _sign_in(manager)
    page = client.get(reverse("web:otp_enrol")).content.decode()
    assert "<svg" in page and "Activer la double authentification" in page
    device = TOTPDevice.objects.get(user=manager, confirmed=False)
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("web:otp_enrol"), {"code": wrong})
    assert response.status_code == 200 and "Code incorrect" in response.content.decode()
    assert client.get(reverse("manager:structure")).status_code == 302
    assert not TOTPDevice.objects.filter(user=manager, confirmed=True).exists()


def test_enrolment_then_the_code_after_each_password(manager):
    client = _sign_in(manager)
    codes = _enrol(client, manager)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(reverse("manager:structure")).status_code == 200
    # Next sign-in: the code page, not the enrolment.
    client = _sign_in(manager)
    response = client.get(reverse("manager:structure"))
    assert response.url.startswith(reverse("web:otp_verify"))
    wrong = client.post(reverse("web:otp_verify"), {"code": "000000x", "next": "/structure/"})
    assert wrong.status_code == 200 and "Code incorrect ou déjà utilisé" in wrong.content.decode()
    device = TOTPDevice.objects.get(user=manager, confirmed=True)
    device.throttle_reset()
    ok = client.post(reverse("web:otp_verify"), {"code": _code(device, drift=1), "next": "/structure/"})
    assert ok.status_code == 302 and ok.url == "/structure/"
    assert client.get(reverse("manager:structure")).status_code == 200


def test_a_recovery_code_works_once(manager):
    codes = _enrol(_sign_in(manager), manager)
    client = _sign_in(manager)
    assert client.post(reverse("web:otp_verify"), {"code": codes[0]}).status_code == 302
    assert client.get(reverse("manager:structure")).status_code == 200
    again = _sign_in(manager)
    response = again.post(reverse("web:otp_verify"), {"code": codes[0]})
    assert response.status_code == 200 and "déjà utilisé" in response.content.decode()


def test_new_recovery_codes_replace_the_old_ones(manager):
    client = _sign_in(manager)
    old = _enrol(client, manager)
    response = client.post(reverse("web:otp_recovery_codes"))
    new = re.findall(r"<li><code>(\d{8})</code></li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    other = _sign_in(manager)
    assert other.post(reverse("web:otp_verify"), {"code": old[1]}).status_code == 200  # refused
    _reset_throttles(manager)  # a failure delays the next attempt (1 s, then doubling): django-otp's throttle
    assert other.post(reverse("web:otp_verify"), {"code": new[1]}).status_code == 302


def test_the_next_address_never_leaves_the_site(manager):
    client = _sign_in(manager)
    device_codes = _enrol(client, manager)
    client = _sign_in(manager)
    response = client.post(reverse("web:otp_verify"), {"code": device_codes[0], "next": "https://evil.example/"})
    assert response.status_code == 302 and response.url == "/"


def test_counselors_are_not_asked_but_a_counselor_managing_the_structure_is(counselor, structure):
    client = _sign_in(counselor)
    assert client.get(reverse("web:home")).status_code == 200
    assert client.get(reverse("web:otp_enrol")).status_code == 302  # nothing to enrol: sent to the account
    deputy = UserFactory(
        username="adjoint", role=Role.COUNSELOR, structure=structure, extra_rights=[Right.MANAGE_STRUCTURE]
    )
    assert _sign_in(deputy).get(reverse("web:home")).url.startswith(reverse("web:otp_enrol"))


def test_htmx_requests_are_redirected_by_header(manager):
    client = _sign_in(manager)
    response = client.get(reverse("web:home"), HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"].startswith(reverse("web:otp_enrol"))


def test_the_api_is_not_concerned(manager, beneficiary):
    """API tokens are personal and revocable: no second factor on /api/ (the sign-in page asks it)."""
    assert client_for(manager).get(f"beneficiaries/{beneficiary.pk}").status_code == 200


def test_sign_out_stays_reachable_before_the_second_factor(manager):
    client = _sign_in(manager)
    assert client.post(reverse("web:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_failed_codes_are_throttled(manager):
    """Guessing is slowed down: after a wrong code, even the right one is refused until the delay has passed."""
    client = _sign_in(manager)
    _enrol(client, manager)
    client = _sign_in(manager)
    client.post(reverse("web:otp_verify"), {"code": "000000"})
    device = TOTPDevice.objects.get(user=manager, confirmed=True)
    assert device.throttling_failure_count == 1
    response = client.post(reverse("web:otp_verify"), {"code": _code(device, drift=1)})
    assert response.status_code == 200
