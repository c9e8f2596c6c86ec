import os

from . import secrets as _secrets

# Refused before anything else is read: a French message on stderr and exit code 3 (gunicorn then stops instead of
# respawning workers), never a traceback, never a server started with a guessable key.
_problems = _secrets.problems(os.environ)
if not os.environ.get("DATABASE_URL"):
    _problems.insert(
        0, "DATABASE_URL est absente : en production, elle désigne la base PostgreSQL (jamais la base embarquée)."
    )
if _problems:
    _secrets.refuse(_problems)

from .base import *  # noqa: E402,F401,F403

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
PSEUDONYM_SECRET = os.environ["CEP_PSEUDONYM_SECRET"]
SECURE_SSL_REDIRECT = os.environ.get("DJANGO_SECURE_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
if CEP_TRUSTED_PROXY_COUNT:  # noqa: F405 — behind a reverse proxy that terminates TLS and says so
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Static files: `manage.py collectstatic` writes them compressed (gzip, brotli if installed) under hashed names,
# WhiteNoise serves them with a year-long cache (their name changes with their content).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# E-mails through the deployment's SMTP server (EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD,
# EMAIL_USE_TLS=1 or EMAIL_USE_SSL=1); the sender is CEP_EMAIL_FROM.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "0") == "1"
EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL", "0") == "1"
EMAIL_TIMEOUT = 10
