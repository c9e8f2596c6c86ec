"""Every API error, in one place: schemas, status codes and the exception handlers of the NinjaAPI.

Shape of every error body: {"code": "R5", "message": "<French>", "field": "on", "details": null,
"doc": "/docs/regles-cep#r5"} (field, details and doc may be null); validation errors (422) add
"errors": [{"field", "message"}, …]; a refused rule adds "errors": [{"code", "message", "field"}, …], every rule
the action broke (the first is the body's own code, message and field; not on a 403). Responses under /api/ that
do not come from an operation (unknown route, wrong method, body too large) get the same shape from
api.middleware.JsonErrorsMiddleware.

- RuleViolation → 409, except rule "DROITS" → 403;
- a code or an id that the schema does not describe (unknown referential code) → 422; a well-formed reference the
  data refuses (a code not in force on the date, an unknown user, offer or commune) → 409 REFERENTIEL;
- a body over DATA_UPLOAD_MAX_MEMORY_SIZE → 413;
- unknown object, or object of another structure (scoped querysets) → 404;
- malformed input (pydantic, unreadable JSON, database refusing a value) → 422;
- a database constraint refusing a write (IntegrityError) → 409;
- missing, unknown or revoked token, inactive user → 401.
"""

import logging
import re
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from ninja import Field, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from cep.common.errors import RuleViolation

logger = logging.getLogger(__name__)


RULES_DOC = "/docs/regles-cep"  # the rules' page of the portal (docs/regles-cep.md rendered, web.views.docs)
_RULES_FILE = Path(__file__).resolve().parent.parent / "docs" / "regles-cep.md"


@cache
def documented_codes() -> frozenset[str]:
    """The anchors of docs/regles-cep.md (`<a id="r5"></a>`): the codes an error payload can link to."""
    return frozenset(re.findall(r'<a id="([a-z0-9-]+)"></a>', _RULES_FILE.read_text(encoding="utf-8")))


def doc_link(code: str) -> str | None:
    anchor = code.lower().replace("_", "-")
    return f"{RULES_DOC}#{anchor}" if anchor in documented_codes() else None


class Error(Schema):
    code: str = Field(description="Règle ou nature de l'erreur (R1 à R12, ELIGIBILITE, VALIDATION…)")
    message: str = Field(description="Message en français")
    field: str | None = Field(None, description="Champ en cause, s'il y en a un")
    details: dict | None = Field(None, description="Précisions (R2 : identifiant du CEP en cours, cep_id)")
    doc: str | None = Field(None, description="Lien vers la règle dans la documentation (/docs/regles-cep#r5)")


class FieldError(Schema):
    field: str | None = None
    message: str


class ValidationErrorOut(Error):
    errors: list[FieldError] = []


class RuleError(Schema):
    code: str
    message: str
    field: str | None = None


class RuleErrorOut(Error):
    """A refused action: every rule it broke in `errors`, the first also as the body's code, message and field."""

    errors: list[RuleError] = []


class ApiError(Exception):
    """An error the API itself raises (e.g. a missing confirmation)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


# Statuses every authenticated operation may answer.
COMMON = {401: Error, 403: Error, 404: Error, 413: Error, 422: ValidationErrorOut}
# … and those that write (a refused rule, or a database constraint).
WRITE = {**COMMON, 409: RuleErrorOut}


def responses(ok: dict, *, write: bool = False, page: bool = False, extra: dict | None = None) -> dict:
    """The `response=` of an operation: its success statuses plus every documented error status (a page of a list
    may answer 409 CURSEUR: a cursor of the right shape that the API did not write)."""
    return {**ok, **(WRITE if write or page else COMMON), **(extra or {})}


_MESSAGES = {
    "missing": "Champ obligatoire.",
    "extra_forbidden": "Champ inconnu.",
    "int_parsing": "Nombre entier attendu.",
    "int_type": "Nombre entier attendu.",
    "int_from_float": "Nombre entier attendu.",
    "bool_parsing": "Booléen attendu (true ou false).",
    "bool_type": "Booléen attendu (true ou false).",
    "string_type": "Texte attendu.",
    "date_parsing": "Date attendue (texte au format AAAA-MM-JJ).",
    "date_from_datetime_parsing": "Date attendue (texte au format AAAA-MM-JJ).",
    "date_from_datetime_inexact": "Date attendue (texte au format AAAA-MM-JJ).",
    "date_type": "Date attendue (texte au format AAAA-MM-JJ).",
    "date_past": "Date attendue (texte au format AAAA-MM-JJ).",
    "date_future": "Date attendue (texte au format AAAA-MM-JJ).",
    "string_pattern_mismatch": "Format invalide.",
    "int_parsing_size": "Nombre entier trop grand.",
    "json_invalid": "JSON invalide.",
    "json_type": "JSON attendu.",
    "list_type": "Liste attendue.",
    "float_parsing": "Nombre attendu.",
    "float_type": "Nombre attendu.",
    "model_type": "Objet JSON attendu.",
    "model_attributes_type": "Objet JSON attendu.",
    "dict_type": "Objet JSON attendu.",
    "enum": "Valeur non autorisée.",
    "literal_error": "Valeur non autorisée.",
}


# Fields whose refusal has its own code and message.
FIELD_CODES = {
    "confirm": (
        "CONFIRMATION",
        "La suppression d'un dispositif doit être confirmée : ajoutez ?confirm=true à la requête.",
    ),
}


def _french(error: dict) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", error.get("msg", ""))).removeprefix("Value error, ")
    if kind == "string_too_long":
        return f"Texte trop long ({ctx.get('max_length')} caractères au plus)."
    if kind == "string_too_short":
        return f"Texte trop court ({ctx.get('min_length')} caractère(s) au moins)."
    if kind in ("greater_than_equal", "greater_than"):
        return f"Valeur trop petite (minimum {ctx.get('ge', ctx.get('gt'))})."
    if kind in ("less_than_equal", "less_than"):
        return f"Valeur trop grande (maximum {ctx.get('le', ctx.get('lt'))})."
    if kind in ("enum", "literal_error") and ctx.get("expected"):
        return f"Valeur non autorisée ; valeurs possibles : {ctx['expected']}."
    return _MESSAGES.get(kind, "Valeur invalide.")


def _field(loc) -> str | None:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    if parts and parts[0] in ("payload", "filters"):
        parts = parts[1:]
    return ".".join(parts) or None


def _body(code: str, message: str, field: str | None = None, details: dict | None = None, **extra) -> dict:
    return {"code": code, "message": message, "field": field, "details": details, "doc": doc_link(code), **extra}


def error_body(code: str, message: str, field: str | None = None, **extra) -> dict:
    """The API's error shape, for the answers that do not come from an operation (api.middleware)."""
    return _body(code, message, field, **extra)


def too_large_message() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    megabytes = f"{limit / 1024 / 1024:.1f}".replace(".", ",")
    return f"Requête trop volumineuse : le corps dépasse la limite de {megabytes} Mo ({limit} octets)."


def _validation_message(errors: list[dict]) -> str:
    """« Champs obligatoires manquants : a, b. » when only required fields are missing (an empty body), else the
    first error, named by its field."""
    missing = [e["field"] for e in errors if e["kind"] == "missing" and e["field"]]
    if missing and len(missing) == len(errors):
        label = "Champ obligatoire manquant" if len(missing) == 1 else "Champs obligatoires manquants"
        return f"{label} : {', '.join(missing)}."
    first = errors[0]
    return f"Données invalides : {first['field'] or 'requête'} : {first['message']}"


def install(api) -> None:
    """Register the handlers on the NinjaAPI."""

    def respond(request, status: int, body: dict):
        return api.create_response(request, body, status=status)

    @api.exception_handler(RuleViolation)
    def rule_violation(request, exc: RuleViolation):
        status = {"DROITS": 403}.get(exc.rule, 409)
        if status == 403:  # a missing right is one refusal, never a list
            return respond(request, status, _body(exc.rule, exc.message, exc.field, exc.details))
        errors = [{"code": v.rule, "message": v.message, "field": v.field} for v in exc.violations]
        return respond(request, status, _body(exc.rule, exc.message, exc.field, exc.details, errors=errors))

    @api.exception_handler(ApiError)
    def api_error(request, exc: ApiError):
        return respond(request, exc.status, _body(exc.code, exc.message, exc.field))

    @api.exception_handler(NinjaValidationError)
    def validation_error(request, exc: NinjaValidationError):
        found = [
            {"field": _field(e.get("loc", ())), "message": _french(e), "kind": e.get("type", "")} for e in exc.errors
        ]
        found = found or [{"field": None, "message": "Données invalides.", "kind": ""}]
        missing_body = [e for e in found if e["kind"] == "missing" and e["field"] is None]
        if missing_body:  # no body at all: name the body's required fields
            found = [e for e in found if e not in missing_body] + [
                {"field": name, "message": "Champ obligatoire.", "kind": "missing"}
                for name in required_body_fields(request)
            ] or missing_body
        message = _validation_message(found)
        errors = [{"field": e["field"], "message": e["message"]} for e in found]
        code = "VALIDATION"
        if found[0]["field"] in FIELD_CODES:  # e.g. DELETE /ceps/{id} without ?confirm=true
            code, message = FIELD_CODES[found[0]["field"]]
        return respond(request, 422, _body(code, message, found[0]["field"], errors=errors))

    @api.exception_handler(RequestDataTooBig)
    def too_large(request, exc):
        return respond(request, 413, _body("TROP_VOLUMINEUX", too_large_message()))

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request, exc):
        return respond(request, 400, _body("REQUETE", "Requête refusée : elle est malformée ou trop complexe."))

    @api.exception_handler(AuthenticationError)
    def authentication_error(request, exc):
        response = respond(
            request,
            401,
            _body("AUTHENTIFICATION", "Jeton d'API absent, inconnu ou révoqué (en-tête Authorization: Bearer …)."),
        )
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        if exc.status_code == 400:  # ninja: unreadable request body
            return respond(request, 422, _body("VALIDATION", "Le corps de la requête n'est pas un JSON valide."))
        return respond(request, exc.status_code, _body("ERREUR", str(exc)))

    @api.exception_handler(Http404)
    @api.exception_handler(ObjectDoesNotExist)
    def not_found(request, exc):
        return respond(request, 404, _body("INTROUVABLE", "Ressource introuvable."))

    @api.exception_handler(IntegrityError)
    def integrity_error(request, exc):
        logger.warning("API: contrainte de la base de données refusée : %s", exc)
        return respond(
            request, 409, _body("INTEGRITE", "L'enregistrement est refusé : il contredit une règle des données.")
        )

    @api.exception_handler(DataError)
    def data_error(request, exc):
        logger.warning("API: valeur refusée par la base de données : %s", exc)
        return respond(request, 422, _body("VALIDATION", "Une valeur est invalide ou trop longue."))

    @api.exception_handler(DjangoValidationError)
    def django_validation_error(request, exc: DjangoValidationError):
        if hasattr(exc, "message_dict"):
            field, messages = next(iter(exc.message_dict.items()))
            field = None if field == "__all__" else field
            return respond(request, 422, _body("VALIDATION", " ".join(messages), field))
        return respond(request, 422, _body("VALIDATION", " ".join(exc.messages)))

    @api.exception_handler(Exception)
    def unexpected(request, exc):
        logger.exception("API: erreur inattendue")
        return respond(request, 500, _body("ERREUR_INTERNE", "Erreur inattendue : l'équipe technique est prévenue."))


def required_body_fields(request) -> list[str]:
    """The required fields of the body of the operation that `request` reached (for an empty body)."""
    from ninja.params.models import BodyModel

    func = getattr(getattr(request, "resolver_match", None), "func", None)
    path_view = next(
        (c.cell_contents for c in getattr(func, "__closure__", None) or () if hasattr(c.cell_contents, "operations")),
        None,
    )
    operation = path_view._find_operation(request) if path_view is not None else None
    names = []
    for model in getattr(operation, "models", ()):
        if not issubclass(model, BodyModel):
            continue
        for field in model.model_fields.values():
            schema = field.annotation
            fields = getattr(schema, "model_fields", {})
            names += [name for name, f in fields.items() if f.is_required()]
    return names
