"""`make run` serves the product as users see it (issue 15, point 13): config.settings.demo has no debug page,
French error pages, static files served without DEBUG (WhiteNoise); `make dev` keeps the debug pages."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1")
missing = client.get("/cette-page-n-existe-pas/")
css = client.get("/static/web/cep.css")
print(json.dumps({
    "debug": settings.DEBUG,
    "demo": settings.DEMO_DATA_ALLOWED,
    "missing": [missing.status_code, missing.content.decode()],
    "css": [css.status_code, b"".join(css.streaming_content).decode() if css.streaming else ""],
}))
"""


def _probe(settings_module):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings_module}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_demo_settings_show_the_french_404_and_serve_static_files_without_debug():
    out = _probe("config.settings.demo")
    assert out["debug"] is False and out["demo"] is True
    status, page = out["missing"]
    assert status == 404
    assert "Page non trouvée" in page and '<html lang="fr"' in page
    assert "URLconf" not in page and "Traceback" not in page  # not Django's debug page
    status, css = out["css"]
    assert status == 200 and css == (ROOT / "web" / "static" / "web" / "cep.css").read_text()


def test_dev_settings_keep_the_debug_pages():
    out = _probe("config.settings.dev")
    assert out["debug"] is True
    status, page = out["missing"]
    assert status == 404 and "URLconf" in page


def test_make_run_uses_the_demo_settings_and_make_dev_the_dev_settings():
    makefile = (ROOT / "Makefile").read_text()
    assert "DEMO_SETTINGS ?= config.settings.demo" in makefile
    assert "demo: export DJANGO_SETTINGS_MODULE = $(DEMO_SETTINGS)" in makefile
    assert "demo DEMO_SETTINGS=config.settings.dev" in makefile
