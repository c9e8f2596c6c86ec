"""The downloadable templates: the header of each kind of file and example rows (docs/import.md)."""

from cep.common.spreadsheet import safe_row

from . import beneficiaries, ceps, events, service_proposals

TEMPLATES = {
    "beneficiaires": ("Bénéficiaires", beneficiaries.COLUMNS),
    ceps.SLUG: (ceps.LABEL, ceps.COLUMNS),
    events.SLUG: (events.LABEL, events.COLUMNS),
    service_proposals.SLUG: (service_proposals.LABEL, service_proposals.COLUMNS),
}


def template_rows(kind: str) -> list[list[str]]:
    """The header, then one example row (the template's own examples)."""
    columns = TEMPLATES[kind][1]
    return [safe_row([c.name for c in columns]), safe_row([c.example for c in columns])]
