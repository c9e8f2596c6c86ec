"""The migrations build the whole PostgreSQL schema the rules rely on, on every supported server (15 to 18)."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

pytestmark = pytest.mark.django_db


def test_models_and_migrations_agree():
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)  # raises SystemExit(1) on a missing one
    assert "No changes detected" in out.getvalue()


def test_server_is_a_supported_postgresql():
    assert connection.vendor == "postgresql"
    assert 150000 <= connection.pg_version < 190000


def test_r2_unique_index_audit_trigger_and_search_words_exist():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'one_open_cep_per_person_and_structure'")
        (definition,) = cursor.fetchone()
        assert "UNIQUE" in definition and "WHERE" in definition
        cursor.execute("SELECT 1 FROM pg_trigger WHERE tgname = 'audit_append_only' AND NOT tgisinternal")
        assert cursor.fetchone() == (1,)
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() == (1,)
        # issue 14: the search reads the words table kept by three triggers; the global trigram index is gone
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'benef_search_trgm'")
        assert cursor.fetchone() is None
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'beneficiaries_beneficiary'::regclass "
            "AND tgname LIKE 'cep_name_words_%%' AND NOT tgisinternal"
        )
        assert cursor.fetchone() == (3,)
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'beneficiaries_nameword_pkey'")
        assert "(structure_id, word, beneficiary_id)" in cursor.fetchone()[0]


def test_every_key_to_a_dossier_is_indexed():
    """Deleting dossiers (an import's undo, tests' clean-up, the retention) checks each referencing key per row:
    without an index on it, every deleted dossier scans the whole referencing table."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, a.attname FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            WHERE c.confrelid = 'beneficiaries_beneficiary'::regclass AND c.contype = 'f'
              AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])
            """
        )
        assert cursor.fetchall() == []
