"""Build the Table Schema of each file from the contract definitions and the referential tables.

`build_schema` is deterministic (no clock): the committed `schema.json` must equal what it returns, and a test
checks it. `write_contract` (command `manage.py cep_contract`) rewrites the committed files.
"""

import datetime
import json

from . import DELIMITER, FIELDS, MOVEMENTS, VERSIONS, ContractVersion, Resource, version_period

SEX_LABELS = (("F", "Femme"), ("M", "Homme"))
PHASE_LABELS = (
    (2, "Phase 2 – Conseil personnalisé"),
    (3, "Phase 3 – Accompagnement personnalisé vers la mise en œuvre du projet"),
)


def _referential(model_name: str):
    def values(start: datetime.date, end: datetime.date | None) -> list[tuple[str, str]]:
        from django.apps import apps
        from django.db.models import Q

        model = apps.get_model("referentials", model_name)
        qs = model.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=start))
        if end is not None:
            qs = qs.filter(valid_from__lte=end)
        return list(qs.order_by("position", "code").values_list("code", "label"))

    return values


def _regions(start, end):
    from cep.organisations.models import Region

    return list(Region.objects.order_by("code").values_list("code", "name"))


def _departments(start, end):
    from cep.organisations.models import Department

    return list(Department.objects.order_by("code").values_list("code", "name"))


ENUM_SOURCES = {
    "movement": lambda start, end: [(code, label) for code, label in MOVEMENTS],
    "sex": lambda start, end: list(SEX_LABELS),
    "phase": lambda start, end: list(PHASE_LABELS),
    "network": _referential("Network"),
    "employment_status": _referential("EmploymentStatus"),
    "qualification_level": _referential("QualificationLevel"),
    "orientation": _referential("OrientationSource"),
    "request_reason": _referential("RequestReason"),
    "project_type": _referential("ProjectType"),
    "exit_reason": _referential("ExitReason"),
    "service_act": _referential("ServiceAct"),
    "region": _regions,
    "department": _departments,
}


def enum_values(version: ContractVersion, source: str) -> list[tuple]:
    start, end = version_period(version)
    return ENUM_SOURCES[source](start, end)


def field_descriptor(version: ContractVersion, name: str) -> dict:
    f = FIELDS[name]
    descriptor: dict = {"name": f.name, "title": f.title, "description": f.description, "type": f.type}
    if f.type == "date":
        descriptor["format"] = "%Y-%m-%d"
    if f.type == "boolean":
        descriptor["trueValues"], descriptor["falseValues"] = ["true"], ["false"]
    constraints: dict = {"required": f.required}
    if f.unique:
        constraints["unique"] = True
    if f.minimum is not None:
        constraints["minimum"] = f.minimum
    if f.pattern:
        constraints["pattern"] = f.pattern
    example = f.example
    if f.enum:
        values = enum_values(version, f.enum)
        constraints["enum"] = [code for code, _ in values]
        descriptor["enumLabels"] = {str(code): label for code, label in values}
        example = example or str(values[0][0])
    descriptor["constraints"] = constraints
    descriptor["example"] = example or "1"
    return descriptor


def build_schema(version: ContractVersion, resource: Resource) -> dict:
    start, end = version_period(version)
    period = f"à partir du mois {start:%m/%Y}" + (f" jusqu'au mois {end:%m/%Y}" if end else "")
    return {
        "$schema": "https://frictionlessdata.io/schemas/table-schema.json",
        "name": f"cep-{resource.name}",
        "title": resource.title,
        "description": f"{resource.description} Fichier CSV encodé en UTF-8, séparateur « {DELIMITER} », une ligne "
        f"d'en-tête. Version en vigueur pour les mois déclarés {period}.",
        "countryCode": "FR",
        "homepage": "/contrat-interface/",
        "path": f"/contrat-interface/{version.version}/{resource.name}.json",
        "resources": [{"title": "Exemple de fichier valide", "path": "exemple-valide.csv"}],
        "created": VERSIONS[0].last_modified,
        "lastModified": version.last_modified,
        "version": version.version,
        "validFrom": f"{start:%Y-%m}",
        "dialect": {"delimiter": DELIMITER, "header": True, "lineTerminator": "\n"},
        "missingValues": [""],
        "fields": [field_descriptor(version, name) for name in resource.all_fields],
        "primaryKey": [resource.key],
    }


def schema_text(version: ContractVersion, resource: Resource) -> str:
    return json.dumps(build_schema(version, resource), ensure_ascii=False, indent=2) + "\n"


def example_rows(version: ContractVersion, resource: Resource) -> list[list[str]]:
    """Three valid lines (création, modification, suppression) built from the fields' examples."""
    schema = build_schema(version, resource)
    examples = {f["name"]: f["example"] for f in schema["fields"]}
    rows = []
    for number, (movement, _) in enumerate(MOVEMENTS, start=1):
        row = []
        for name in resource.all_fields:
            value = examples[name]
            if name == "numero_ligne":
                value = str(number)
            elif name == "type_mouvement":
                value = movement
            elif name == resource.key:
                value = f"{number:x}" * 32
            row.append(value)
        rows.append(row)
    return rows


def example_text(version: ContractVersion, resource: Resource) -> str:
    lines = [DELIMITER.join(resource.all_fields)] + [DELIMITER.join(row) for row in example_rows(version, resource)]
    return "\n".join(lines) + "\n"


def generated_files() -> dict:
    """Every committed file of the contract (path → text), generated."""
    files = {}
    for version in VERSIONS:
        for resource in version.resources.values():
            files[version.schema_path(resource.name)] = schema_text(version, resource)
            files[version.example_path(resource.name)] = example_text(version, resource)
    return files


def write_contract() -> list:
    written = []
    for path, text in generated_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
