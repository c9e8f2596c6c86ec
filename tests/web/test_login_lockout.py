"""Login lockout (issue 10, point 9): keyed by username + client address, the address read behind the trusted
reverse proxies (config/settings/proxies.py), so that an attacker behind the same proxy cannot lock a user out,
and a client cannot escape the lockout by writing X-Forwarded-For itself."""

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from config.settings.proxies import client_ip_settings

PROXY = "10.0.0.1"  # the reverse proxy, as the application sees it (REMOTE_ADDR)
ATTACKER = "203.0.113.66"
VICTIM = "198.51.100.7"
PASSWORD = "motdepasse-solide-123"


def _settings(count: int) -> dict:
    return {k: v for k, v in client_ip_settings({"CEP_TRUSTED_PROXY_COUNT": str(count)}).items()}


def _post(client, username, password, *, remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("web:login"), {"username": username, "password": password}, **extra)


def _signed_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


def test_lockout_is_keyed_by_username_and_address():
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


@pytest.mark.parametrize("count", [1, 2])
def test_an_attacker_behind_the_proxy_cannot_lock_a_user_out(manager, count):
    # With two proxies, X-Forwarded-For holds the client then the first proxy's address.
    hop = "" if count == 1 else ", 10.0.0.2"
    with override_settings(AXES_ENABLED=True, **_settings(count)):
        attacker = Client()
        for i in range(settings.AXES_FAILURE_LIMIT):
            # The attacker also writes the victim's address at the left of X-Forwarded-For: ignored.
            spoofed = f"{VICTIM}, " if i % 2 else ""
            _post(attacker, manager.username, "mauvais", remote=PROXY, forwarded=f"{spoofed}{ATTACKER}{hop}")
        locked = _post(attacker, manager.username, PASSWORD, remote=PROXY, forwarded=f"{ATTACKER}{hop}")
        assert locked.status_code == 429 and "Connexion temporairement bloquée" in locked.content.decode()
        # Same proxy, same username, another client: signs in.
        victim = _post(Client(), manager.username, PASSWORD, remote=PROXY, forwarded=f"{VICTIM}{hop}")
        assert _signed_in(victim)


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(manager):
    """Reached directly (no proxy configured), a client cannot dodge the lockout with a new X-Forwarded-For."""
    with override_settings(AXES_ENABLED=True, **_settings(0)):
        client = Client()
        for i in range(settings.AXES_FAILURE_LIMIT):
            _post(client, manager.username, "mauvais", remote=ATTACKER, forwarded=f"192.0.2.{i}")
        response = _post(client, manager.username, PASSWORD, remote=ATTACKER, forwarded="192.0.2.200")
        assert response.status_code == 429
        assert _signed_in(_post(Client(), manager.username, PASSWORD, remote=VICTIM))


def test_the_proxy_count_is_read_from_the_environment():
    assert _settings(0)["AXES_IPWARE_META_PRECEDENCE_ORDER"] == ("REMOTE_ADDR",)
    one = _settings(1)
    assert one["AXES_IPWARE_PROXY_COUNT"] == 0 and one["IPWARE_STRICT"] is False
    assert one["AXES_IPWARE_META_PRECEDENCE_ORDER"][0] == "HTTP_X_FORWARDED_FOR"
    assert client_ip_settings({})["CEP_TRUSTED_PROXY_COUNT"] == 0
    with pytest.raises(ValueError):
        client_ip_settings({"CEP_TRUSTED_PROXY_COUNT": "-1"})
