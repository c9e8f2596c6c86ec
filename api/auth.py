"""Per-user API tokens: `Authorization: Bearer <key>`. Only the SHA-256 of a key is stored (ApiToken)."""

from django.utils import timezone
from ninja.security import HttpBearer

from cep.accounts.models import ApiToken
from cep.common.access import ensure_can_view_dossiers
from cep.common.errors import RuleViolation


def user_for_key(key: str):
    """The active user of a valid token (neither revoked nor expired), or None. One query; a second one, at most
    once a minute per token, records its last use."""
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user", "user__structure")
        .filter(key_hash=ApiToken.hash(key), revoked_at__isnull=True, expires_at__gt=now, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    if token.last_used_at is None or now - token.last_used_at >= ApiToken.LAST_USED_INTERVAL:
        # A conditional UPDATE: concurrent requests of the same minute write the row once between them.
        ApiToken.objects.filter(pk=token.pk).exclude(last_used_at__gt=now - ApiToken.LAST_USED_INTERVAL).update(
            last_used_at=now
        )
    return token.user


class TokenAuth(HttpBearer):
    """Any active user with a valid token (referentials)."""

    personal_data = False

    def authenticate(self, request, token):
        if not token:
            return None
        user = user_for_key(token)
        if user is None:
            return None  # → 401
        request.user = user
        if self.personal_data and not user.sees_personal_data:
            raise RuleViolation("DROITS", "Les observateurs n'ont pas accès aux données personnelles.")
        return user


class PersonalDataAuth(TokenAuth):
    """Routes of the structure's staff: observers (regional, national) get 403 on every one of them."""

    personal_data = True


class DossierAuth(PersonalDataAuth):
    """Routes carrying a person's data: the right « Consulter les informations d'un dossier » too (else 403)."""

    def authenticate(self, request, token):
        user = super().authenticate(request, token)
        if user is not None:
            ensure_can_view_dossiers(user)
        return user


token_auth = TokenAuth()
personal_data_auth = PersonalDataAuth()
dossier_auth = DossierAuth()
