"""Personal data is never cached, static files are (issue 10, point 8): `Cache-Control: no-store` on every
signed-in page and every API response; WhiteNoise serves static files, hashed and compressed in production."""

import gzip
from pathlib import Path

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from tests.api.conftest import ApiClient, client_for

ROOT = Path(__file__).resolve().parents[2]


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


@pytest.mark.parametrize("who", ["counselor", "manager"])
def test_signed_in_pages_are_never_stored(client, request, beneficiary, who):
    client.force_login(request.getfixturevalue(who))
    for url in (reverse("web:home"), reverse("web:dossier", args=[beneficiary.pk]), reverse("web:account")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert _no_store(response) and "private" in response["Cache-Control"], url
    # A refusal or a redirect for a signed-in user is not stored either.
    assert _no_store(client.get(reverse("web:dossier", args=[beneficiary.pk + 10_000])))


def test_every_api_response_is_never_stored(counselor, beneficiary):
    api = client_for(counselor)
    assert _no_store(api.get(f"beneficiaries/{beneficiary.pk}"))
    assert _no_store(api.get("referentials"))
    assert _no_store(ApiClient(None).get(f"beneficiaries/{beneficiary.pk}"))  # 401


def test_public_pages_keep_their_headers(client, db):
    """The interface contract is public and carries no personal data: left cacheable."""
    response = client.get(reverse("reporting:contract"))
    assert response.status_code == 200 and not _no_store(response)


@override_settings(WHITENOISE_USE_FINDERS=True)
def test_static_files_stay_cacheable_for_a_signed_in_user(client, counselor):
    """WhiteNoise answers static files before any session is read: no no-store on them."""
    client.force_login(counselor)
    response = client.get("/static/web/cep.css")
    assert response.status_code == 200
    assert not _no_store(response) and "max-age" in response["Cache-Control"]


def test_production_storage_serves_hashed_compressed_files_with_a_long_cache(tmp_path, db):
    """collectstatic under the production storage (here on the project's own files), then WhiteNoise serves the
    hashed name, gzip-compressed on request, cached for a year; the page helper points at the hashed name."""
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(
        STORAGES=storages,
        STATIC_ROOT=tmp_path,
        STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"],
        STATICFILES_DIRS=[ROOT / "web" / "static"],
    ):
        call_command("collectstatic", "--noinput", verbosity=0)
        url = staticfiles_storage.url("web/cep.css")
        assert url.startswith("/static/web/cep.") and url.endswith(".css") and url != "/static/web/cep.css"
        assert (tmp_path / url.removeprefix("/static/")).with_suffix(".css.gz").exists()
        client = Client()
        plain = client.get(url)
        assert plain.status_code == 200
        assert "immutable" in plain["Cache-Control"] and "max-age=315360000" in plain["Cache-Control"]
        zipped = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert zipped["Content-Encoding"] == "gzip"
        body = gzip.decompress(b"".join(zipped.streaming_content)).decode()
        assert body == (ROOT / "web" / "static" / "web" / "cep.css").read_text()
