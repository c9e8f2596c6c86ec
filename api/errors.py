"""Every API error, in one place: schemas, status codes and the exception handlers of the NinjaAPI.

Shape of every error body: {"code": "R5", "message": "<French>", "field": "on"} (field may be null);
validation errors (422) add "errors": [{"field", "message"}, …]; a refused rule adds "errors": [{"code", "message",
"field"}, …], every rule the action broke (the first is the body's own code, message and field; not on a 403).

- RuleViolation → 409, except rule "DROITS" → 403 and rule "REFERENTIEL" (unknown or invalid code) → 422;
- unknown object, or object of another structure (scoped querysets) → 404;
- malformed input (pydantic, unreadable JSON, database refusing a value) → 422;
- a database constraint refusing a write (IntegrityError) → 409;
- missing, unknown or revoked token, inactive user → 401.
"""

import logging

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from cep.common.errors import RuleViolation

logger = logging.getLogger(__name__)


class Error(Schema):
    code: str
    message: str
    field: str | None = None


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
COMMON = {401: Error, 403: Error, 404: Error, 422: ValidationErrorOut}
# … and those that write (a refused rule, or a database constraint).
WRITE = {**COMMON, 409: RuleErrorOut}


def responses(ok: dict, *, write: bool = False, extra: dict | None = None) -> dict:
    """The `response=` of an operation: its success statuses plus every documented error status."""
    return {**ok, **(WRITE if write else COMMON), **(extra or {})}


_MESSAGES = {
    "missing": "Champ obligatoire.",
    "extra_forbidden": "Champ inconnu.",
    "int_parsing": "Nombre entier attendu.",
    "int_type": "Nombre entier attendu.",
    "int_from_float": "Nombre entier attendu.",
    "bool_parsing": "Booléen attendu (true ou false).",
    "bool_type": "Booléen attendu (true ou false).",
    "string_type": "Texte attendu.",
    "date_parsing": "Date invalide (format AAAA-MM-JJ attendu).",
    "date_from_datetime_parsing": "Date invalide (format AAAA-MM-JJ attendu).",
    "date_from_datetime_inexact": "Date attendue, sans heure.",
    "date_type": "Date attendue (format AAAA-MM-JJ).",
    "model_type": "Objet JSON attendu.",
    "model_attributes_type": "Objet JSON attendu.",
    "dict_type": "Objet JSON attendu.",
    "enum": "Valeur non autorisée.",
    "literal_error": "Valeur non autorisée.",
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


def _body(code: str, message: str, field: str | None = None, **extra) -> dict:
    return {"code": code, "message": message, "field": field, **extra}


def install(api) -> None:
    """Register the handlers on the NinjaAPI."""

    def respond(request, status: int, body: dict):
        return api.create_response(request, body, status=status)

    @api.exception_handler(RuleViolation)
    def rule_violation(request, exc: RuleViolation):
        status = {"DROITS": 403, "REFERENTIEL": 422}.get(exc.rule, 409)
        if status == 403:  # a missing right is one refusal, never a list
            return respond(request, status, _body(exc.rule, exc.message, exc.field))
        errors = [{"code": v.rule, "message": v.message, "field": v.field} for v in exc.violations]
        return respond(request, status, _body(exc.rule, exc.message, exc.field, errors=errors))

    @api.exception_handler(ApiError)
    def api_error(request, exc: ApiError):
        return respond(request, exc.status, _body(exc.code, exc.message, exc.field))

    @api.exception_handler(NinjaValidationError)
    def validation_error(request, exc: NinjaValidationError):
        errors = [{"field": _field(e.get("loc", ())), "message": _french(e)} for e in exc.errors]
        first = errors[0] if errors else {"field": None, "message": "Données invalides."}
        message = f"Données invalides : {first['field'] or 'requête'} : {first['message']}"
        return respond(request, 422, _body("VALIDATION", message, first["field"], errors=errors))

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
