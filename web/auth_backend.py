"""Authentication backend: Django's ModelBackend, whose user of each request comes with its structure and région.

Every page shows the user's structure in its header and checks rights against it (or the région of a regional
observer): loading them with the user saves one query per request. Same checks as the parent (inactive users get
no session user).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class UserBackend(ModelBackend):
    def get_user(self, user_id):
        model = get_user_model()
        try:
            user = model._default_manager.select_related("structure", "region").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
