"""The user of each request (web.auth_backend): one query, the same objects as the ORM, the same refusals."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cep.accounts.models import User
from cep.accounts.rights import Role
from cep.organisations.models import Region
from tests.factories import UserFactory
from web.auth_backend import UserBackend

pytestmark = pytest.mark.django_db


def _fields(obj):
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields} if obj else None


@pytest.mark.parametrize("kind", ["manager", "regional", "national"])
def test_user_is_loaded_with_its_structure_and_region_in_one_query(kind, manager):
    if kind == "manager":
        user = manager
        user.extra_rights = ["view_aggregates"]  # a JSON value goes through the field's converter
        user.save()
    elif kind == "regional":
        user = UserFactory(role=Role.REGIONAL_OBSERVER, structure=None, region=Region.objects.order_by("code")[0])
    else:
        user = UserFactory(role=Role.NATIONAL_OBSERVER, structure=None)
    expected = User.objects.select_related("structure", "region").get(pk=user.pk)
    with CaptureQueriesContext(connection) as captured:
        loaded = UserBackend().get_user(str(user.pk))
        structure, region = loaded.structure, loaded.region  # cached: no further query
    assert len(captured.captured_queries) == 1
    assert _fields(loaded) == _fields(expected)
    assert _fields(structure) == _fields(expected.structure) and _fields(region) == _fields(expected.region)
    assert loaded._state.db == "default" and not loaded._state.adding
    assert loaded.get_session_auth_hash() == expected.get_session_auth_hash()


def test_inactive_unknown_or_malformed_user_is_none(manager):
    backend = UserBackend()
    assert backend.get_user(manager.pk) is not None
    User.objects.filter(pk=manager.pk).update(is_active=False)
    assert backend.get_user(manager.pk) is None
    assert backend.get_user(10**9) is None
    assert backend.get_user("abc") is None
