"""Every answer under /api/ is JSON in the API's error format: unknown routes, a trailing slash, wrong methods and
an oversized body included, under the demo's settings (DEBUG off) as under the developers' (DEBUG on): 0 × 5xx."""

import json

import pytest
from django.conf import settings
from django.test import Client, override_settings

from api.main import api as ninja_api

UNKNOWN = [
    "/api/",
    "/api/v1",
    "/api/v1/",
    "/api/v2/beneficiaries",
    "/api/v1/nope",
    "/api/v1/beneficiaries/",
    "/api/v1/referentials/",
    "/api/v1/ceps/1/unknown",
    "/api/v1/openapi.json/",
]
METHODS = ("get", "post", "put", "patch", "delete")


def _error(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert set(body) >= {"code", "message", "field", "details", "doc"} and body["message"]
    assert "no-store" in response.get("Cache-Control", "")
    return body


def _routes() -> dict[str, set[str]]:
    """Every path of the published schema (a sample id in place of its parameters) and its methods."""
    schema = ninja_api.get_openapi_schema()
    routes = {}
    for path, item in schema["paths"].items():
        concrete = path
        for name in ("beneficiary_id", "cep_id", "event_id", "offer_id"):
            concrete = concrete.replace("{" + name + "}", "1")
        concrete = concrete.replace("{name}", "networks")
        routes[concrete] = {m for m in item if m in METHODS}
    return routes


@pytest.mark.parametrize("debug", [False, True], ids=["demo", "dev"])
def test_unknown_routes_and_trailing_slashes_are_json_404(api, debug):
    with override_settings(DEBUG=debug):
        for path in UNKNOWN:
            for client in (api.client, Client()):
                body = _error(client.get(path, **api.headers), 404)
                assert body["code"] == "INTROUVABLE" and "URLconf" not in json.dumps(body)


@pytest.mark.parametrize("debug", [False, True], ids=["demo", "dev"])
def test_wrong_methods_are_json_405_with_allow(api, refdata, debug):
    routes = _routes()
    assert len(routes) > 15
    with override_settings(DEBUG=debug):
        for path, allowed in routes.items():
            for method in set(METHODS) - allowed:
                response = getattr(api.client, method)(path, **api.headers)
                body = _error(response, 405)
                assert body["code"] == "METHODE" and method.upper() in body["message"]
                assert set(response["Allow"].split(", ")) == {m.upper() for m in allowed}


@pytest.mark.parametrize("debug", [False, True], ids=["demo", "dev"])
def test_a_body_over_the_upload_limit_is_json_413(api, beneficiary, debug):
    big = b'{"comment": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    assert len(big) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    with override_settings(DEBUG=debug):
        for path in (f"/api/v1/beneficiaries/{beneficiary.pk}/events", "/api/v1/beneficiaries", "/api/v1/nope"):
            for client, headers in ((api.client, api.headers), (Client(), {})):
                response = client.post(path, data=big, content_type="application/json", **headers)
                body = _error(response, 413)
                assert body["code"] == "TROP_VOLUMINEUX" and "Mo" in body["message"]


def test_a_body_within_the_limit_is_read(api, beneficiary, event_body):
    response = api.post(f"beneficiaries/{beneficiary.pk}/events", {**event_body, "comment": "x" * 100})
    assert response.status_code == 201


def test_request_data_too_big_raised_while_reading_is_413():
    """The same answer when Django refuses the body while an operation reads it (no Content-Length check)."""
    from django.core.exceptions import RequestDataTooBig
    from django.test import RequestFactory

    response = ninja_api.on_exception(RequestFactory().post("/api/v1/beneficiaries"), RequestDataTooBig("big"))
    assert response.status_code == 413 and json.loads(response.content)["code"] == "TROP_VOLUMINEUX"


def test_the_walk_finds_no_server_error(api, refdata):
    """Unknown routes, every method on every route, an oversized body: never a 5xx, always JSON."""
    big = b"{" + b" " * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + b"}"
    seen = 0
    for path in [*UNKNOWN, "/api/v1/ceps/abc", "/api/v1/beneficiaries/-1", *_routes()]:
        for method in METHODS:
            for data in (None, b"{}", big):
                kwargs = dict(api.headers)
                if data is not None:
                    kwargs.update(data=data, content_type="application/json")
                response = api.client.generic(method.upper(), path, **kwargs)
                seen += 1
                assert response.status_code < 500, (method, path, response.content[:300])
                if response.status_code >= 400:
                    assert response["Content-Type"].startswith("application/json"), (method, path)
    assert seen > 300
