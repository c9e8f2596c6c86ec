"""The one place where a refused action (RuleViolation) becomes a form error, next to its field."""

from django import forms

from cep.common.errors import RuleViolation

# Service argument names that the page's form calls differently.
FIELD_ALIASES = {"on": "phase3_entry_date"}


def add_violation(form: forms.Form, violation: RuleViolation, aliases: dict | None = None) -> None:
    """Attach the French message to the field it concerns, or to the form when the field is not shown."""
    names = {**FIELD_ALIASES, **(aliases or {})}
    field = names.get(violation.field, violation.field)
    message = violation.message
    if field and field in form.fields and not form.fields[field].disabled:
        form.add_error(field, message)
    else:
        form.add_error(None, message)
