"""Personal API tokens: issued with an expiry, revoked by their owner. One transaction each."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cep.audit.services import record
from cep.common.errors import RuleViolation

from .models import ApiToken, User


@transaction.atomic
def issue_token(*, user: User, name: str, days: int) -> tuple[ApiToken, str]:
    """A new token of `user`, valid `days` days (one of API_TOKEN_VALIDITY_DAYS). Returns it and its clear key."""
    name = (name or "").strip()
    if not name:
        raise RuleViolation("JETON", "Donnez un nom au jeton (par exemple le logiciel qui l'utilisera).", field="name")
    if len(name) > 100:
        raise RuleViolation("JETON", "Le nom du jeton ne dépasse pas 100 caractères.", field="name")
    if days not in settings.API_TOKEN_VALIDITY_DAYS:
        allowed = ", ".join(str(d) for d in settings.API_TOKEN_VALIDITY_DAYS)
        raise RuleViolation("JETON", f"Durée de validité possible : {allowed} jours.", field="days")
    if not user.is_active:
        raise RuleViolation("DROITS", "Ce compte est désactivé : aucun jeton ne peut être émis.")
    token, key = ApiToken.issue(user, name=name, days=days)
    record(
        actor=user,
        action="issue_api_token",
        obj=token,
        before=None,
        after=_trace(token),
        structure_id=user.structure_id,
    )
    return token, key


@transaction.atomic
def revoke_token(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of `user`'s own tokens (another user's token is « introuvable », as if it did not exist)."""
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user=user).first()
    if token is None:
        raise RuleViolation("JETON", "Jeton introuvable.")
    if token.revoked_at is None:
        before = _trace(token)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(
            actor=user,
            action="revoke_api_token",
            obj=token,
            before=before,
            after=_trace(token),
            structure_id=user.structure_id,
        )
    return token


def _trace(token: ApiToken) -> dict:
    """What the history keeps of a token: never its key nor its hash."""
    return {
        "user_id": token.user_id,
        "name": token.name,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }
