"""Settings of the gunicorn server of bench/bench_pages.py only: production settings plus a bare static view.

Never used by the product: the URLconf below adds `/bench-static/` (the floor of the stack) beside the real URLs.
"""

from config.settings.prod import *  # noqa: F401,F403

ROOT_URLCONF = "bench.pages_urls"

# Static files served from the applications (no collectstatic before a bench run), as in the demo settings.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
