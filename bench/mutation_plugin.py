"""pytest plugin of the mutation runs (bench/mutation.py).

The test database is the one the unmutated run left migrated (`--reuse-db` applies any new migration); each mutant's
run uses it as it is instead of checking every migration again.
"""

import os
from pathlib import Path

import pytest

if os.environ.get("CEP_MUTATION_DB_READY") == "1":

    @pytest.fixture(scope="session")
    def django_db_setup(django_db_blocker):
        from django.conf import settings

        db = settings.DATABASES["default"]
        db["NAME"] = db.get("TEST", {}).get("NAME") or f"test_{db['NAME']}"


def pytest_sessionstart(session):
    # The code under test is the temporary copy's, never the checkout's.
    import cep

    tree = Path(os.environ["CEP_MUTATION_TREE"])
    assert Path(cep.__file__).resolve().is_relative_to(tree), cep.__file__
