from config.database import default_database

from .base import *  # noqa: F401,F403
from .secrets import TEST_PSEUDONYM_SECRET

# Tests talk to a real PostgreSQL: DATABASE_URL, or the embedded server started by `make test`. pytest-django
# creates its own database beside it (test_<name>).
DATABASES = {"default": default_database(conn_max_age=0)}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PSEUDONYM_SECRET = TEST_PSEUDONYM_SECRET
DEMO_DATA_ALLOWED = True
AXES_ENABLED = False
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Static files come straight from the applications (finders): no collectstatic, no STATIC_ROOT to scan.
STATIC_ROOT = None
