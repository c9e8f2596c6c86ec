"""Settings shared by every environment. Environment-specific files import * from here."""

import os
from pathlib import Path

from csp.constants import NONCE

from config.database import default_database

from .proxies import client_ip_settings
from .secrets import DEV_PSEUDONYM_SECRET, DEV_SECRET_KEY

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEV_SECRET_KEY)
# Secret used for keyed pseudonyms in exports (HMAC-SHA-256). Must differ per deployment.
PSEUDONYM_SECRET = os.environ.get("CEP_PSEUDONYM_SECRET", DEV_PSEUDONYM_SECRET)
# Months without contact after which a dossier is anonymised (cep/retention; CNIL: two years after the last contact).
CEP_RETENTION_MONTHS = os.environ.get("CEP_RETENTION_MONTHS", "24")  # read by cep.retention.services
# Lease of background jobs (cep/common/lease.py): a job silent for longer than this is dead and marked failed.
CEP_JOB_LEASE_SECONDS = os.environ.get("CEP_JOB_LEASE_SECONDS", "300")
DEBUG = False
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
# The demonstration commands (generate_demo, demo_accounts, demo_batches) run only where this is True: the dev,
# demo and test settings; never production (known passwords, known API keys, invented people).
DEMO_DATA_ALLOWED = False

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "widget_tweaks",
    "dsfr",
    "django_htmx",
    "ninja",  # serves the API documentation (Swagger UI) from local static files, no CDN
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "cep.referentials",
    "cep.organisations",
    "cep.accounts",
    "cep.audit",
    "cep.beneficiaries",
    "cep.offers",
    "cep.events",
    "cep.enrolments",
    "cep.appointments",
    "cep.plans",
    "cep.orientations",
    "cep.reporting",
    "cep.retention",
    "cep.monitoring",
    "cep.imports",
    "cep.demo",
    "web",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "api.middleware.JsonErrorsMiddleware",  # every answer under /api/ in the API's JSON error format
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files, before anything that reads the session
    "web.middleware.QueryStringGuardMiddleware",  # NUL, control characters, huge values in the query: French 400
    "web.middleware.SlidingSessionMiddleware",  # SessionMiddleware, expiry written at most once a minute
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the second factor of this session
    "web.middleware.SecondFactorMiddleware",  # staff with management rights: no page before the second factor
    "web.middleware.NoStoreMiddleware",  # Cache-Control: no-store on signed-in pages and on /api/
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# DATABASE_URL, or the checkout's embedded PostgreSQL (config/database.py: the one rule).
DATABASES = {"default": default_database(conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")))}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "web.auth_backend.UserBackend",  # ModelBackend; the user of each request is loaded with its structure, région
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# Sessions expire after 30 minutes of inactivity: the expiry slides with activity, written by
# web.middleware.SlidingSessionMiddleware when the session changes or its last write is a minute old (instead of
# SESSION_SAVE_EVERY_REQUEST, a write and a commit on every page view). A session ends 29 to 30 minutes after the
# last request, never later.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_TOUCH_INTERVAL = 60  # seconds
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "errors/lockout.html"  # French page, HTTP 429
# The client's address (the lockout key is username + address): REMOTE_ADDR, or behind CEP_TRUSTED_PROXY_COUNT
# reverse proxies the address the first of them saw (config/settings/proxies.py). Otherwise every user behind a
# proxy would share its address, and an attacker could lock any of them out.
_client_ip = client_ip_settings(os.environ)
CEP_TRUSTED_PROXY_COUNT = _client_ip["CEP_TRUSTED_PROXY_COUNT"]
AXES_IPWARE_META_PRECEDENCE_ORDER = _client_ip["AXES_IPWARE_META_PRECEDENCE_ORDER"]
AXES_IPWARE_PROXY_COUNT = _client_ip["AXES_IPWARE_PROXY_COUNT"]
IPWARE_STRICT = _client_ip["IPWARE_STRICT"]

# Second factor (django-otp): TOTP, with single-use recovery codes (static device).
OTP_TOTP_ISSUER = "CEP"
OTP_STATIC_THROTTLE_FACTOR = 1
# A password reset link (given by a structure manager) works once, for 24 hours.
PASSWORD_RESET_TIMEOUT = 24 * 60 * 60
# Personal API tokens: validity offered at creation (days), and the default.
API_TOKEN_VALIDITY_DAYS = (30, 90, 180, 365)
API_TOKEN_DEFAULT_DAYS = 90

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],  # the sentinel, not the string "'nonce'": adds 'nonce-…' per response
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LANGUAGE_CODE = "fr"
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "var" / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# E-mails (orientations' notifications, issue 11): written to the console here and in the demo; production sends
# them through the SMTP server of its environment (config/settings/prod.py), the tests keep them in memory.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("CEP_EMAIL_FROM", "CEP <ne-pas-repondre@cep.localhost>")
