"""The shared exception handlers: one mapping from exceptions to statuses and bodies."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError
from django.test import RequestFactory

from api.main import api
from cep.common.errors import RuleViolation


@pytest.mark.parametrize(
    ("exc", "status", "code", "field"),
    [
        (RuleViolation("R5", "Refus.", field="on"), 409, "R5", "on"),
        (RuleViolation("DROITS", "Pas le droit."), 403, "DROITS", None),
        (RuleViolation("REFERENTIEL", "Pas en vigueur ce jour-là.", field="nature"), 409, "REFERENTIEL", "nature"),
        (IntegrityError("duplicate key value violates unique constraint"), 409, "INTEGRITE", None),
        (DataError("value too long for type character varying(5)"), 422, "VALIDATION", None),
        (ValidationError({"end_date": ["La date de fin est postérieure."]}), 422, "VALIDATION", "end_date"),
        (ValidationError("Valeur invalide."), 422, "VALIDATION", None),
    ],
)
def test_exception_mapping(exc, status, code, field):
    response = api.on_exception(RequestFactory().get("/api/v1/x"), exc)
    body = json.loads(response.content)
    assert (response.status_code, body["code"], body["field"]) == (status, code, field)
    assert body["message"]


def test_unexpected_error_is_a_json_500_without_details():
    response = api.on_exception(RequestFactory().get("/api/v1/x"), ZeroDivisionError("secret detail"))
    body = json.loads(response.content)
    assert response.status_code == 500 and body["code"] == "ERREUR_INTERNE" and "secret" not in body["message"]
