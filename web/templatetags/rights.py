"""`{% if user|has_right:"events" %}`: show a link or a button only to those who may use it (cep.accounts.rights)."""

from django import template

from cep.common.access import can_view_dossiers, missing_rights

register = template.Library()


@register.filter
def has_right(user, right: str) -> bool:
    """The user holds `right` (a value of `Right`, e.g. "propose_cep"); "view_dossier" also needs a structure role."""
    if right == "view_dossier":
        return can_view_dossiers(user)
    return not missing_rights(user, right)
