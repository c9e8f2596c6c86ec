"""Security of the web application (issue 4, part 8): CSRF, session expiry, login throttling, passwords,
security headers, error pages in French, `check --deploy` clean with the production settings."""

import datetime
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cep.organisations.models import Structure
from web import middleware
from web.middleware import TOUCHED_KEY

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "web" / "templates"


# ---------------------------------------------------------------- production settings


def test_check_deploy_is_clean_with_production_settings():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64)[:50],
        "CEP_PSEUDONYM_SECRET": secrets.token_urlsafe(48),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests of this session, never in production
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNINGS" not in output


def test_production_settings_harden_cookies_and_transport():
    env = {**os.environ, "DJANGO_SECRET_KEY": "k" * 50, "CEP_PSEUDONYM_SECRET": "p" * 32}
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings.prod';"
        "from django.conf import settings as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.DEBUG)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["31536000", "True", "True", "True", "False"], out.stderr


# ---------------------------------------------------------------- headers and CSP


def test_security_headers_and_csp_nonce_on_every_script(client, manager):
    client.force_login(manager)
    response = client.get(reverse("manager:offers"))
    csp = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    html = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts, "the page loads the DSFR and htmx scripts"
    for tag in scripts:
        assert f'nonce="{nonce}"' in tag, tag
        assert "src=" in tag, f"inline script: {tag}"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def _templates():
    return sorted(TEMPLATES.rglob("*.html"))


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_uses_inline_script_or_event_handlers(path):
    text = path.read_text()
    assert not INLINE_SCRIPT.search(text), f"{path}: inline <script> (CSP forbids it; use a static file with a nonce)"
    assert not INLINE_HANDLER.search(text), f"{path}: inline event handler (on…=) is blocked by the CSP"
    assert "javascript:" not in text.lower(), f"{path}: javascript: URL is blocked by the CSP"


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_post_form_carries_the_csrf_token(path):
    text = path.read_text()
    for form in re.findall(r"<form\b[^>]*>.*?</form>", text, re.IGNORECASE | re.DOTALL):
        if re.search(r"method=[\"']?post", form, re.IGNORECASE):
            assert "{% csrf_token %}" in form, f"{path}: POST form without csrf_token"


# ---------------------------------------------------------------- CSRF


def test_post_without_csrf_token_is_refused_in_french(manager, structure):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    response = client.post(reverse("manager:structure_settings"), {})
    assert response.status_code == 403
    assert "Formulaire expiré" in response.content.decode()
    assert Structure.objects.get(pk=structure.pk).distinguishes_phases is True
    page = client.get(reverse("manager:structure"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    ok = client.post(reverse("manager:structure_settings"), {"csrfmiddlewaretoken": token})
    assert ok.status_code == 302
    assert Structure.objects.get(pk=structure.pk).distinguishes_phases is False


# ---------------------------------------------------------------- sessions


def test_session_expires_after_30_minutes_of_inactivity(client, manager):
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    client.force_login(manager)
    url = reverse("manager:structure")
    assert client.get(url).status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    remaining = session.expire_date - timezone.now()
    assert datetime.timedelta(minutes=29) < remaining <= datetime.timedelta(minutes=30)
    # Activity slides the expiry; 31 minutes without activity ends the session.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - datetime.timedelta(minutes=1))
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("web:login"))


def _session_writes(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries if q["sql"].startswith('UPDATE "django_session"')]


def test_session_expiry_is_written_at_most_once_a_minute(client, manager, monkeypatch):
    """The sliding expiry costs one write a minute, not one per page; the session still ends 29 to 30 minutes
    after the last request, never later."""
    client.force_login(manager)
    url = reverse("manager:structure")
    assert len(_session_writes(client, url)) == 1  # first request after sign-in: expiry = now + 30 min
    key = client.session.session_key
    start = client.session[TOUCHED_KEY]  # the stamp of that write (whole seconds)
    written = Session.objects.get(pk=key).expire_date
    monkeypatch.setattr(middleware.time, "time", lambda: start + 59)
    assert _session_writes(client, url) == []  # 59 s later: no write, expiry still ≥ this request + 29 min
    assert Session.objects.get(pk=key).expire_date == written
    monkeypatch.setattr(middleware.time, "time", lambda: start + 60)
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + datetime.timedelta(minutes=29))
    assert len(_session_writes(client, url)) == 1  # a minute later: the expiry slides to now + 30 min
    remaining = Session.objects.get(pk=key).expire_date - timezone.now()
    assert datetime.timedelta(minutes=29, seconds=50) < remaining <= datetime.timedelta(minutes=30)


def test_a_changed_session_is_written_at_once(client, counselor):
    """Signing in changes the session: written then (with its stamp), so the next page within the minute
    writes nothing; signing out deletes it whatever the stamp. (A counselor: no second factor to type.)"""
    response = client.post(reverse("web:login"), {"username": counselor.username, "password": "motdepasse-solide-123"})
    assert response.status_code == 302
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.get(pk=key).get_decoded().get(TOUCHED_KEY)
    assert _session_writes(client, reverse("web:home")) == []
    client.post(reverse("web:logout"))
    assert not Session.objects.filter(pk=key).exists()


@pytest.mark.django_db
def test_anonymous_requests_create_no_session(client):
    before = Session.objects.count()
    for url in (reverse("web:login"), "/contrat-interface/", reverse("manager:structure")):
        response = client.get(url)
        assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert Session.objects.count() == before


@pytest.mark.django_db
def test_unknown_or_short_session_cookie_is_anonymous(client):
    for value in ("x" * 32, "court", "x" * 60):
        client.cookies[settings.SESSION_COOKIE_NAME] = value
        response = client.get(reverse("manager:structure"))
        assert response.status_code == 302 and response.url.startswith(reverse("web:login"))


def test_a_deactivated_or_changed_password_user_is_signed_out(client, manager):
    client.force_login(manager)
    url = reverse("manager:structure")
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    signed_in = [q["sql"] for q in captured.captured_queries if 'WHERE "accounts_user"."id" = ' in q["sql"]]
    assert len(signed_in) == 1 and 'JOIN "organisations_structure"' in signed_in[0]  # the user with its structure
    assert not any(q["sql"].startswith('SELECT "organisations_structure"') for q in captured.captured_queries)
    manager.set_password("un-autre-mot-de-passe-solide")
    manager.save()
    assert client.get(url).status_code == 302  # the session's password hash no longer matches
    client.force_login(manager)
    type(manager).objects.filter(pk=manager.pk).update(is_active=False)
    assert client.get(url).status_code == 302


def test_logout_is_post_only_and_ends_the_session(client, manager):
    client.force_login(manager)
    assert client.get(reverse("web:logout")).status_code == 405
    client.post(reverse("web:logout"))
    assert client.get(reverse("manager:structure")).status_code == 302


# ---------------------------------------------------------------- login throttling (django-axes)


@override_settings(AXES_ENABLED=True)
def test_login_is_locked_after_5_failures_with_a_french_page(client, manager):
    url = reverse("web:login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(url, {"username": manager.username, "password": "mauvais-mot-de-passe"})
        assert response.status_code == 200  # the form again, with its French error
    response = client.post(url, {"username": manager.username, "password": "mauvais-mot-de-passe"})
    assert response.status_code == 429
    page = response.content.decode()
    assert "Connexion temporairement bloquée" in page and "5 tentatives" in page and "15 minutes" in page
    # Even the right password is refused while locked.
    response = client.post(url, {"username": manager.username, "password": "motdepasse-solide-123"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@override_settings(AXES_ENABLED=True)
def test_a_success_resets_the_failure_count(client, manager):
    url = reverse("web:login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(url, {"username": manager.username, "password": "mauvais"})
    assert client.post(url, {"username": manager.username, "password": "motdepasse-solide-123"}).status_code == 302
    client.post(reverse("web:logout"))
    response = client.post(url, {"username": manager.username, "password": "mauvais"})
    assert response.status_code == 200


def test_login_page_and_errors_are_french(client, manager):
    page = client.get(reverse("web:login")).content.decode()
    assert '<html lang="fr"' in page
    response = client.post(reverse("web:login"), {"username": manager.username, "password": "faux"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Saisissez un nom d’utilisateur et un mot de passe valides" in text or "incorrect" in text.lower()


# ---------------------------------------------------------------- error pages


def test_404_is_french_and_needs_no_database(client):
    # No `db` fixture: any query would fail the test.
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page non trouvée" in page and "Erreur 404" in page and '<html lang="fr"' in page


def test_500_renders_without_any_database_access():
    from django.views.defaults import server_error

    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Erreur inattendue" in page and "Erreur 500" in page


def test_403_is_french(client, counselor):
    client.force_login(counselor)
    response = client.get(reverse("manager:structure"))
    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()


def test_another_structures_object_404_is_french(client, manager, other_counselor):
    client.force_login(manager)
    response = client.get(reverse("manager:user_edit", args=[other_counselor.pk]))
    assert response.status_code == 404 and "Page non trouvée" in response.content.decode()


def test_a_deactivated_account_loses_its_open_session(client, manager, counselor):
    from cep.accounts.services import deactivate_user

    client.force_login(counselor)
    assert client.get(reverse("manager:offers")).status_code == 200
    deactivate_user(user=counselor, actor=manager)
    response = client.get(reverse("manager:offers"))
    assert response.status_code == 302 and response.url.startswith(reverse("web:login"))
