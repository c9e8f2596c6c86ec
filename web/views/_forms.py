"""The one place where a refused action (RuleViolation) becomes a form error, next to its field, or a message."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect

from cep.common.errors import RuleViolation

# Service argument names that the page's form calls differently.
FIELD_ALIASES = {"on": "phase3_entry_date"}


def add_violation(form: forms.Form, violation: RuleViolation, aliases: dict | None = None) -> None:
    """Attach each French message to the field it concerns, or to the form when the field is not shown: every rule
    the action broke is shown at once (RuleViolation.violations)."""
    names = {**FIELD_ALIASES, **(aliases or {})}
    for single in violation.violations:
        field = names.get(single.field, single.field)
        if field and field in form.fields and not form.fields[field].disabled:
            if single.message not in form.errors.get(field, []):
                form.add_error(field, single.message)
        elif single.message not in form.non_field_errors():
            form.add_error(None, single.message)


def _spread(forms_: list | tuple, violation: RuleViolation, aliases: dict | None = None) -> None:
    names = {**FIELD_ALIASES, **(aliases or {})}
    for single in violation.violations:
        field = names.get(single.field, single.field)
        target = next((f for f in forms_ if field in f.fields and not f.fields[field].disabled), forms_[0])
        add_violation(target, single, aliases)


def run_action(
    request: HttpRequest,
    form: forms.Form | Callable[[RuleViolation], forms.Form] | None,
    action: Callable[[], Any],
    *,
    success: str | Callable[[Any], str],
    redirect_to: str | Callable[[Any], str],
    aliases: dict | None = None,
) -> HttpResponseRedirect | None:
    """Call the service; on success, flash `success` and redirect to `redirect_to`.

    `action` takes no argument (a lambda over the service call); `success` and `redirect_to` may be functions of
    what it returned (e.g. the new object). `redirect_to` is what `redirect()` accepts: a URL or a view name.

    A RuleViolation becomes:
    - with a form: an error on its field (add_violation), and None is returned so that the view renders the form
      again (a function of the violation may choose among several forms of the page; a list of forms sends each
      refusal to the form that shows its field, the first form otherwise);
    - without a form (a button): an error message, and the same redirect as a success (a function
      `redirect_to` is then called with None).
    Any other exception propagates (a bug is a 500, not a message).
    """
    try:
        result = action()
    except RuleViolation as violation:
        if form is None:
            for single in violation.violations:
                messages.error(request, single.message)
            return redirect(redirect_to(None) if callable(redirect_to) else redirect_to)
        if isinstance(form, list | tuple):  # several forms on the page: each message goes to the one with its field
            _spread(form, violation, aliases)
        else:
            add_violation(form(violation) if callable(form) else form, violation, aliases)
        return None
    messages.success(request, success(result) if callable(success) else success)
    return redirect(redirect_to(result) if callable(redirect_to) else redirect_to)
