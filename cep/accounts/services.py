"""Managing the users of a structure (structure manager, docs/regles-cep.md §1). One transaction each, audited."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cep.audit.services import audited
from cep.common.access import ensure_right
from cep.common.errors import RuleViolation

from .models import User
from .rights import NATIONAL_RIGHTS, REGIONAL_RIGHTS, ROLE_RIGHTS, Right, Role

# The roles a structure manager may give: staff of a structure, never the administrator nor an observer.
STRUCTURE_ROLES = (Role.COUNSELOR, Role.MANAGER)
_EXCLUDE = ("password", "last_login")


def _ensure_manages(actor, structure_id: int) -> None:
    ensure_right(actor, Right.MANAGE_STRUCTURE, structure_id)


def _check_role(role: str) -> None:
    if role not in STRUCTURE_ROLES:
        raise RuleViolation(
            "DROITS", "Vous ne pouvez donner que le rôle conseiller ou responsable de structure.", field="role"
        )


def _labels(rights) -> str:
    return ", ".join(f"« {Right(r).label} »" for r in sorted(rights))


def _normalise_rights(*, actor, role: str, rights) -> list[str]:
    """The rights to store: [] when they equal the role's defaults (rights=None: the role's defaults).

    Whatever the path (a chosen list, the role's defaults, a new account, a role change), the *resulting* rights
    are never more than the actor holds: nobody grants a right they do not have.
    """
    if rights is not None:
        rights = set(rights)
        unknown = rights - set(Right.values)
        if unknown:
            raise RuleViolation("DROITS", f"Droits inconnus : {', '.join(sorted(unknown))}.", field="rights")
        if not rights:
            raise RuleViolation("DROITS", "Cochez au moins un droit.", field="rights")
        national = rights & NATIONAL_RIGHTS
        if national:
            raise RuleViolation(
                "DROITS", f"Droit réservé à l'observateur national : {_labels(national)}.", field="rights"
            )
        regional = rights & REGIONAL_RIGHTS
        if regional:
            raise RuleViolation(
                "DROITS", f"Droit réservé aux associations Transitions Pro : {_labels(regional)}.", field="rights"
            )
    effective = set(ROLE_RIGHTS[role]) if rights is None else rights
    beyond = effective - actor.rights if actor is not None else set()
    if beyond:
        if rights is None:
            raise RuleViolation(
                "DROITS",
                f"Les droits par défaut du rôle « {Role(role).label} » comprennent des droits que vous n'avez pas : "
                f"{_labels(beyond)}. Choisissez les droits un par un, parmi les vôtres.",
                field="rights",
            )
        raise RuleViolation(
            "DROITS", f"Vous ne pouvez pas donner un droit que vous n'avez pas : {_labels(beyond)}.", field="rights"
        )
    if effective == set(ROLE_RIGHTS[role]):
        return []
    return sorted(effective)


@transaction.atomic
def create_user(
    *,
    structure,
    actor,
    username: str,
    password: str,
    role: str = Role.COUNSELOR,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    rights=None,
) -> User:
    _ensure_manages(actor, structure.pk)
    _check_role(role)
    username = (username or "").strip()
    if not username:
        raise RuleViolation("UTILISATEUR", "Renseignez l'identifiant.", field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise RuleViolation("UTILISATEUR", "Cet identifiant est déjà utilisé.", field="username")
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        role=role,
        structure=structure,
        extra_rights=_normalise_rights(actor=actor, role=role, rights=rights),
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise RuleViolation("MOT_DE_PASSE", " ".join(exc.messages), field="password") from exc
    user.set_password(password)
    with audited(user, actor=actor, action="create_user", exclude=_EXCLUDE):
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as exc:
            raise RuleViolation("UTILISATEUR", "Cet identifiant est déjà utilisé.", field="username") from exc
    return user


def _ensure_user_of(actor, user: User) -> None:
    """The (locked) user belongs to a structure the actor manages, and is not an administrator."""
    if user.structure_id is None:
        raise RuleViolation("DROITS", "Cet utilisateur n'appartient pas à votre structure.")
    _ensure_manages(actor, user.structure_id)
    if user.role not in STRUCTURE_ROLES:
        raise RuleViolation("DROITS", "Vous ne pouvez pas modifier un administrateur.")


@transaction.atomic
def update_user_rights(*, user: User, actor, role: str, rights=None) -> User:
    """Change the role and the rights of a user of the structure (rights=None: the role's defaults)."""
    with audited(User, user.pk, actor=actor, action="update_user_rights", exclude=_EXCLUDE) as user:
        _ensure_user_of(actor, user)
        _check_role(role)
        if user.pk == actor.pk and (
            role != user.role or (rights is not None and Right.MANAGE_STRUCTURE not in rights)
        ):
            raise RuleViolation("DROITS", "Vous ne pouvez pas retirer vos propres droits de gestion.", field="role")
        user.role = role
        user.extra_rights = _normalise_rights(actor=actor, role=role, rights=rights)
        user.save(update_fields=["role", "extra_rights"])
    return user


@transaction.atomic
def deactivate_user(*, user: User, actor) -> User:
    """Deactivate an account (it stays for history). Its beneficiaries are reassigned separately."""
    with audited(User, user.pk, actor=actor, action="deactivate_user", exclude=_EXCLUDE) as user:
        _ensure_user_of(actor, user)
        if user.pk == actor.pk:
            raise RuleViolation("DROITS", "Vous ne pouvez pas désactiver votre propre compte.")
        if not user.is_active:
            raise RuleViolation("UTILISATEUR", "Ce compte est déjà désactivé.")
        user.is_active = False
        user.save(update_fields=["is_active"])
        user.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    return user


@transaction.atomic
def update_structure_settings(*, structure, actor, distinguishes_phases: bool):
    """The structure's choice to distinguish phases 2 and 3 of the CEP or not [000]."""
    from cep.organisations.models import Structure

    _ensure_manages(actor, structure.pk)
    with audited(
        Structure, structure.pk, actor=actor, action="update_structure_settings", structure_id=structure.pk
    ) as structure:
        structure.distinguishes_phases = bool(distinguishes_phases)
        structure.save(update_fields=["distinguishes_phases"])
    return structure
