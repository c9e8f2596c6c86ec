"""Every answer under /api/ is JSON in the API's error format, even when no operation of the API answered.

Django answers some requests before (or without) the NinjaAPI: an unknown route or a trailing slash (404 from the
URL resolver, Django's HTML page, or the debug page listing the URL patterns under DEBUG), a wrong method (405 from
ninja's path view, a bare text body), an address that APPEND_SLASH would redirect (404: no route of the API ends
with a slash), a body over DATA_UPLOAD_MAX_MEMORY_SIZE (refused here before anything reads
it: 413), an error outside an operation (500). This middleware gives them the body of api.errors
({"code", "message", "field", "details", "doc"}), keeps their status and headers (Allow on a 405), and leaves
the API's own JSON answers and its documentation page (/api/v1/docs, HTML, 200) alone.
"""

import json

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers

from .errors import error_body, too_large_message

API_PREFIX = "/api/"
_KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _error(status: int, request, response) -> dict:
    if status == 404:
        return error_body(
            "INTROUVABLE",
            "Adresse inconnue de l'API : vérifiez le chemin (sans barre oblique finale) et la version (/api/v1/).",
        )
    if status == 405:
        allowed = ", ".join(sorted(m.strip() for m in response.get("Allow", "").split(",") if m.strip()))
        return error_body(
            "METHODE",
            f"Méthode {request.method} non autorisée sur cette adresse"
            + (f" ; méthodes acceptées : {allowed}." if allowed else "."),
        )
    if status == 413:
        return error_body("TROP_VOLUMINEUX", too_large_message())
    if status >= 500:
        return error_body("ERREUR_INTERNE", "Erreur inattendue : l'équipe technique est prévenue.")
    if status == 400:
        return error_body("REQUETE", "Requête refusée : elle est malformée ou trop complexe.")
    if status == 403:
        return error_body("DROITS", "Accès refusé.")
    return error_body("ERREUR", f"Requête refusée (statut HTTP {status}).")


def _json(status: int, body: dict) -> HttpResponse:
    response = HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type="application/json")
    add_never_cache_headers(response)  # as every API answer (web.middleware.NoStoreMiddleware)
    return response


class JsonErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if _declared_length(request) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            # Refused before anything reads the body (authentication, routing, parsing).
            return _json(413, error_body("TROP_VOLUMINEUX", too_large_message()))
        response = self.get_response(request)
        if response.status_code in (301, 302) and response.get("Location", "").split("?")[0].endswith(
            request.path + "/"
        ):
            # CommonMiddleware's APPEND_SLASH: no route of the API ends with a slash, the address is unknown.
            return _json(404, _error(404, request, response))
        if response.status_code < 400 or response.get("Content-Type", "").startswith("application/json"):
            return response
        replaced = _json(response.status_code, _error(response.status_code, request, response))
        for header in _KEPT_HEADERS:
            if header in response:
                replaced[header] = response[header]
        return replaced
