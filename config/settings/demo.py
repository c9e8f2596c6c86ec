"""The demonstration (`make run`): the product as its users see it, on the demo data.

No debug page (French 404 and 500 pages, as in production), static files served by WhiteNoise straight from the
applications' folders (no collectstatic needed), development secrets, local addresses only. `make dev` keeps
Django's debug pages for developers.
"""

from .base import *  # noqa: F401,F403

DEBUG = False
DEMO_DATA_ALLOWED = True
WHITENOISE_USE_FINDERS = True  # WhiteNoise serves them without DEBUG
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
# Static files come straight from the applications (finders): no collectstatic, no STATIC_ROOT to scan.
STATIC_ROOT = None
