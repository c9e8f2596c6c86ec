"""Developers' settings (`make dev`, `manage.py` by default): Django's debug pages, the demonstration data."""

from .base import *  # noqa: F401,F403

DEBUG = True
DEMO_DATA_ALLOWED = True
# Static files come straight from the applications (finders): no collectstatic, no STATIC_ROOT to scan.
STATIC_ROOT = None
