"""The published interface contract: an HTML page in French, the schemas, examples and changelog (public)."""

import json

from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cep.common.errors import RuleViolation
from cep.reporting.exports.contract import CONTRACT_DIR, VERSIONS, get_version, version_period


def _version_or_404(version: str):
    try:
        return get_version(version)
    except RuleViolation:
        raise Http404("Version inconnue.")


def _schema(version, resource: str) -> dict:
    if resource not in version.resources:
        raise Http404("Fichier inconnu.")
    return json.loads(version.schema_path(resource).read_text(encoding="utf-8"))


@require_GET
def contract(request):
    versions = []
    for version in reversed(VERSIONS):
        start, end = version_period(version)
        versions.append(
            {
                "version": version,
                "start": start,
                "end": end,
                "schemas": [(version.resources[name], _schema(version, name)) for name in version.resources],
            }
        )
    return render(request, "reporting/exports_contract.html", {"versions": versions})


@require_GET
def contract_schema(request, version: str, resource: str):
    schema = _schema(_version_or_404(version), resource)
    return JsonResponse(schema, json_dumps_params={"ensure_ascii": False, "indent": 2})


@require_GET
def contract_example(request, version: str, resource: str):
    v = _version_or_404(version)
    if resource not in v.resources:
        raise Http404("Fichier inconnu.")
    return FileResponse(
        v.example_path(resource).open("rb"),
        as_attachment=True,
        filename=f"cep_{resource}_exemple_v{v.version}.csv",
        content_type="text/csv; charset=utf-8",
    )


@require_GET
def contract_changelog(request):
    return FileResponse((CONTRACT_DIR / "CHANGELOG.md").open("rb"), content_type="text/markdown; charset=utf-8")
