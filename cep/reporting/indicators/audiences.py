"""Who reads which scopes of the indicators (docs/regles-cep.md §1).

A structure manager reads their structure; a regional observer (Transitions Pro) their region beside the
nation; the national observer (France compétences) everything, filtered by région or by network (not both); an
administrator everything. Counselors do not see the indicators. Observers get every table through small-cell
suppression (observer_secret.py).
"""

from dataclasses import dataclass

from django.db.models import Q

from cep.accounts.rights import Right, Role
from cep.common.access import rights_message
from cep.common.errors import RuleViolation


@dataclass(frozen=True)
class Scope:
    label: str
    structure_id: int | None = None
    region_id: str | None = None
    network_id: str | None = None

    @property
    def key(self) -> str:
        return f"s{self.structure_id or ''}r{self.region_id or ''}n{self.network_id or ''}"

    def q(self) -> Q:
        q = Q()
        if self.structure_id is not None:
            q &= Q(structure_id=self.structure_id)
        if self.region_id is not None:
            q &= Q(region_id=self.region_id)
        if self.network_id is not None:
            q &= Q(network_id=self.network_id)
        return q


@dataclass(frozen=True)
class Audience:
    """The scopes a user reads: one, or a region beside the nation (linked, for suppression)."""

    scopes: tuple[Scope, ...]
    suppress: bool
    can_filter: bool  # national observer / admin: filters by région and network
    can_refresh: bool

    @property
    def linked(self) -> bool:
        return len(self.scopes) == 2


NATION = "France entière"


def audience_for(user, *, region=None, network=None) -> Audience:
    """The scopes `user` may read; RuleViolation("DROITS") for anyone else (counselors included)."""
    if not (user.is_authenticated and user.has_right(Right.VIEW_AGGREGATES)):
        raise RuleViolation("DROITS", rights_message([Right.VIEW_AGGREGATES]))
    if user.role == Role.MANAGER or (user.role == Role.ADMIN and user.structure_id):
        if user.structure_id is None:
            raise RuleViolation("DROITS", "Votre compte n'est rattaché à aucune structure.")
        scope = Scope(str(user.structure), structure_id=user.structure_id)
        return Audience((scope,), suppress=False, can_filter=False, can_refresh=user.role == Role.ADMIN)
    if user.role == Role.REGIONAL_OBSERVER:
        region_obj = user.region
        return Audience(
            (Scope(region_obj.name, region_id=region_obj.code), Scope(NATION)),
            suppress=True,
            can_filter=False,
            can_refresh=False,
        )
    if user.role in (Role.NATIONAL_OBSERVER, Role.ADMIN):
        if user.role == Role.NATIONAL_OBSERVER and region is not None and network is not None:
            raise RuleViolation(
                "INDICATEURS", "Choisissez une région ou un réseau, pas les deux à la fois.", field="reseau"
            )
        network_id = getattr(network, "code", None)
        suffix = f" – {network.short_label or network.label}" if network is not None else ""
        nation = Scope(NATION + suffix, network_id=network_id)
        # A région is always shown beside the nation (same filters): the secret then covers their difference.
        # The national observer reads one région or one network beside the whole nation (observer_secret).
        if user.role == Role.NATIONAL_OBSERVER and network is not None:
            scopes = (Scope(network.short_label or network.label, network_id=network_id), Scope(NATION))
        elif region:
            scopes = (Scope(region.name + suffix, region_id=region.code, network_id=network_id), nation)
        else:
            scopes = (nation,)
        return Audience(scopes, suppress=user.role == Role.NATIONAL_OBSERVER, can_filter=True, can_refresh=True)
    raise RuleViolation("DROITS", "Vous n'avez pas accès aux indicateurs agrégés.")
