import os

import dj_database_url

from .base import *  # noqa: F401,F403

# Tests talk to a real PostgreSQL (DATABASE_URL); the default is the local server of this machine.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cep"), conn_max_age=0
    )
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PSEUDONYM_SECRET = "test-pseudonym-secret"
AXES_ENABLED = False
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
