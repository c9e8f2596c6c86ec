"""Password reset links given by a structure manager (no e-mail server: the manager hands the link over).

The link carries Django's token (default_token_generator): it works once (the token is bound to the password hash
and the last login, both changed by its use) and for PASSWORD_RESET_TIMEOUT (24 hours).
"""

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from cep.audit.services import record
from cep.common.errors import RuleViolation

from .models import User
from .services import _ensure_user_of


@transaction.atomic
def password_reset_token(*, user: User, actor) -> tuple[str, str]:
    """(uidb64, token) of a one-time reset link for `user`, a user of a structure the actor manages."""
    user = User.objects.select_for_update().get(pk=user.pk)
    _ensure_user_of(actor, user)
    if user.pk == actor.pk:
        raise RuleViolation("DROITS", "Pour votre propre compte, utilisez « Changer mon mot de passe ».")
    if not user.is_active:
        raise RuleViolation("UTILISATEUR", "Ce compte est désactivé : réactivez-le avant de réinitialiser.")
    # The history says who handed a link to whom and when (never the link itself: it is a credential).
    record(
        actor=actor,
        action="password_reset_link",
        obj=user,
        before=None,
        after={"user_id": user.pk},
        structure_id=user.structure_id,
    )
    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)
