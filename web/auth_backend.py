"""Authentication backend: Django's ModelBackend, whose user of each request is read with one plain SELECT.

Every signed-in request loads its user; every page then shows the user's structure in its header and checks
rights against it (or against the région of a regional observer). Here the user, its structure and its région
come in one query whose text is built once per process (cep.common.plain_sql): the same objects as
`User.objects.select_related("structure", "region").get(pk=…)`, for about a quarter of its CPU (building that
query through the ORM took 0.4 to 0.8 ms on every request). Same checks as the parent: an inactive or unknown
user gets no session user; the session's password hash is checked by django.contrib.auth as before.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from cep.common.plain_sql import load

RELATED = ("structure", "region")  # the user's foreign keys read with it


class UserBackend(ModelBackend):
    def get_user(self, user_id):
        user = load(get_user_model(), user_id, RELATED)
        return user if user is not None and self.user_can_authenticate(user) else None
