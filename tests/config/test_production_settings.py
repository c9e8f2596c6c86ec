"""Production refuses to start unsafe (issue 10, point 7): its secrets, the demo commands, the entry points."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from config.settings import base, dev, test
from config.settings import secrets as prod_secrets

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(48), "CEP_PSEUDONYM_SECRET": secrets.token_urlsafe(48)}


def _run(args, **env_changes):
    env = {**os.environ, "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://u@127.0.0.1/x"), **GOOD}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    for name, value in env_changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def _manage(*args, **env_changes):
    return _run([sys.executable, "manage.py", *args], DJANGO_SETTINGS_MODULE="config.settings.prod", **env_changes)


def _assert_refused(result, *names):
    assert result.returncode == prod_secrets.BOOT_ERROR_EXIT_CODE, result.stdout + result.stderr
    assert "Configuration de production refusée" in result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    for name in names:
        assert name in result.stderr


# ---------------------------------------------------------------- the secrets


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "absente ou vide"),
        ("", "absente ou vide"),
        ("   ", "absente ou vide"),
        ("x" * 31, "trop courte (31 octets"),
        ("é" * 15, "trop courte (30 octets"),  # bytes, not characters
        *((value, "valeur de développement") for value in sorted(prod_secrets.KNOWN_VALUES)),
    ],
)
def test_each_unfit_secret_is_refused_in_french(value, reason):
    for name in ("DJANGO_SECRET_KEY", "CEP_PSEUDONYM_SECRET"):
        environ = {**GOOD}
        if value is None:
            environ.pop(name)
        else:
            environ[name] = value
        found = prod_secrets.problems(environ)
        assert len(found) == 1 and found[0].startswith(name) and reason in found[0], found


def test_good_secrets_pass():
    assert prod_secrets.problems(GOOD) == []
    assert prod_secrets.problems({"DJANGO_SECRET_KEY": "k" * 32, "CEP_PSEUDONYM_SECRET": "p" * 32}) == []


def test_every_secret_shipped_in_the_repository_is_a_known_value():
    """The dev, demo and test settings' secrets are the ones production refuses."""
    shipped = {base.SECRET_KEY, base.PSEUDONYM_SECRET, dev.SECRET_KEY, dev.PSEUDONYM_SECRET, test.PSEUDONYM_SECRET}
    if "DJANGO_SECRET_KEY" not in os.environ and "CEP_PSEUDONYM_SECRET" not in os.environ:
        assert shipped <= prod_secrets.KNOWN_VALUES
    assert {prod_secrets.DEV_SECRET_KEY, prod_secrets.DEV_PSEUDONYM_SECRET} <= prod_secrets.KNOWN_VALUES
    assert test.PSEUDONYM_SECRET in prod_secrets.KNOWN_VALUES


def test_manage_py_check_deploy_refuses_without_secrets_and_prints_no_traceback():
    result = _manage(
        "check", "--deploy", DJANGO_SECRET_KEY=None, CEP_PSEUDONYM_SECRET=prod_secrets.DEV_PSEUDONYM_SECRET
    )
    _assert_refused(
        result, "DJANGO_SECRET_KEY est absente", "CEP_PSEUDONYM_SECRET reprend une valeur de développement"
    )


def test_manage_py_check_deploy_refuses_a_short_key():
    _assert_refused(_manage("check", "--deploy", DJANGO_SECRET_KEY="court"), "DJANGO_SECRET_KEY est trop courte")


def test_production_refuses_the_embedded_database():
    _assert_refused(_manage("check", DATABASE_URL=None), "DATABASE_URL est absente")


def test_gunicorn_stops_with_the_french_message(tmp_path):
    """The WSGI entry point defaults to production: gunicorn without secrets stops (no worker respawned)."""
    result = _run(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--bind",
            f"unix:{tmp_path / 'g.sock'}",
            "--no-control-socket",
            "config.wsgi",
        ],
        DJANGO_SECRET_KEY=None,
        CEP_PSEUDONYM_SECRET=None,
    )
    assert result.returncode == prod_secrets.BOOT_ERROR_EXIT_CODE, result.stderr
    assert "Configuration de production refusée" in result.stderr
    assert "Worker failed to boot" in result.stderr
    assert "Traceback" not in result.stderr, result.stderr


# ---------------------------------------------------------------- entry points


def test_wsgi_defaults_to_production_and_manage_py_to_dev():
    wsgi = _run([sys.executable, "-c", "import config.wsgi"], DJANGO_SECRET_KEY=None)
    _assert_refused(wsgi, "DJANGO_SECRET_KEY")  # the production settings were read
    code = "from django.conf import settings; print(settings.SETTINGS_MODULE, settings.DEBUG)"
    manage = _run([sys.executable, "manage.py", "shell", "-v", "0", "-c", code], DJANGO_SECRET_KEY=None)
    assert manage.returncode == 0, manage.stderr
    assert manage.stdout.split() == ["config.settings.dev", "True"]


def test_production_settings_forbid_demo_data_and_serve_hashed_static_files():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEMO_DATA_ALLOWED, s.STORAGES['staticfiles']['BACKEND'], s.DEBUG)"
    )
    result = _run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"], DJANGO_SETTINGS_MODULE="config.settings.prod"
    )
    assert result.stdout.split() == ["False", "whitenoise.storage.CompressedManifestStaticFilesStorage", "False"], (
        result.stderr
    )


# ---------------------------------------------------------------- demo commands


@pytest.mark.parametrize("command", ["generate_demo", "demo_accounts", "demo_batches", "demo_otp"])
@override_settings(DEMO_DATA_ALLOWED=False)
def test_demo_commands_refuse_to_run_under_production_settings(db, command):
    from cep.accounts.models import User
    from cep.beneficiaries.models import Beneficiary

    with pytest.raises(CommandError, match="Commande de démonstration refusée"):
        call_command(command)
    assert not User.objects.exists() and not Beneficiary.objects.exists()


def test_generate_demo_refuses_under_the_real_production_settings():
    result = _manage("generate_demo", "--beneficiaries", "10")
    assert result.returncode == 1
    assert "Commande de démonstration refusée" in result.stderr and "Traceback" not in result.stderr
