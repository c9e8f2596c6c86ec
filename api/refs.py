"""Resolve the codes and ids a client sends into objects, or refuse naming the field.

A code the published schema does not list (unknown code) is a 422; a well-formed value the data refuses (a code
not in force on the date that matters, an unknown user, offer or commune) is a 409 REFERENTIEL: the schema cannot
describe it (docs/decisions.md, 2026-12-07).
"""

import datetime

from cep.common.dates import fr
from cep.common.errors import RuleViolation

from .errors import ApiError


def ref(model, code: str | None, *, field: str, on: datetime.date | None = None):
    """A referential value by its code, valid on `on` (when given). None stays None."""
    if code is None:
        return None
    value = model.objects.filter(pk=code).first()
    if value is None:
        raise ApiError(422, "REFERENTIEL", f"Code inconnu pour « {model._meta.verbose_name} » : « {code} ».", field)
    if on is not None and not value.is_valid_on(on):
        raise RuleViolation(
            "REFERENTIEL", f"« {value.label} » n'est pas une valeur en vigueur le {fr(on)}.", field=field
        )
    return value


def structure_user(user_id: int | None, *, structure_id: int, field: str):
    """A user of the given structure by id (référent, intervenant), else 422."""
    from cep.accounts.models import User

    if user_id is None:
        return None
    found = User.objects.filter(pk=user_id, structure_id=structure_id, is_active=True).first()
    if found is None:
        raise RuleViolation(
            "REFERENTIEL", "Aucun utilisateur actif de votre structure ne porte cet identifiant.", field
        )
    return found


def commune(code: str | None, *, field: str = "commune"):
    from cep.organisations.models import Commune

    if code is None:
        return None
    found = Commune.objects.filter(pk=code).first()
    if found is None:
        raise RuleViolation("REFERENTIEL", f"Code commune INSEE inconnu : « {code} ».", field=field)
    return found
