"""Authentication backend: Django's ModelBackend, whose user of each request comes with its structure and région.

Every signed-in request loads its user; every page then shows the user's structure in its header and checks
rights against it (or against the région of a regional observer): one query instead of three. Same checks as the
parent: an inactive or unknown user gets no session user.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

RELATED = ("structure", "region")  # the user's foreign keys read with it


class UserBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            user = get_user_model()._default_manager.select_related(*RELATED).filter(pk=user_id).first()
        except (ValueError, TypeError, ValidationError):  # a malformed id in a session: no user
            return None
        return user if user is not None and self.user_can_authenticate(user) else None
