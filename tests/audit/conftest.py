import pytest

from tests.audit.roles import create_roles, drop_roles


@pytest.fixture(scope="module")
def roles(django_db_setup, django_db_blocker):
    """A fresh owner and application role on the test database, for the module (dropped at its end)."""
    with django_db_blocker.unblock():
        roles = create_roles()
        yield roles
        drop_roles(roles)
