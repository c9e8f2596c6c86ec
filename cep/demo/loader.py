"""Writing the generated rows with COPY.

When the five big tables are empty, the load is a bulk restore in ONE transaction: the
non-unique secondary indexes and the foreign keys of those tables are dropped, rows are streamed with
COPY, then the very same indexes and constraints (definitions read from the catalog) are recreated and the
foreign keys validated by PostgreSQL itself. Primary keys, unique indexes (R2's partial unique index among
them) and check constraints stay in place during the load. If anything fails, the transaction rolls back the
drops too: nothing the application relies on can be left missing.
"""

import multiprocessing
import os
import time
from collections.abc import Callable

from django.db import connection, transaction

from .population import COLUMNS, TABLES, Rows, World, generate

WORDS_TRIGGER = "cep_name_words_insert"  # migration beneficiaries 0006_search_words


def tables_are_empty() -> bool:
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
            if cursor.fetchone()[0]:
                return False
    return True


def load(
    world: World,
    count: int,
    *,
    batch: int = 5000,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> dict[str, int]:
    """Generate and write `count` persons. Returns the number of rows written per table.

    `workers` processes (default: the number of CPUs, none for small loads) generate the rows
    and format them as COPY text while this process streams them to the server: generation, not the
    database, is the bottleneck of a large load.
    """
    if workers is None:
        workers = 0 if count < 20_000 else min(os.cpu_count() or 1, 4)
    totals = {t: 0 for t in TABLES}
    timings = {}
    with transaction.atomic():
        fast = tables_are_empty()
        saved = None
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO off")
            cursor.execute("SET LOCAL maintenance_work_mem TO '512MB'")
            cursor.execute("SET LOCAL TIME ZONE 'UTC'")
            if fast:
                # Fire the checks still pending in this transaction: a table with pending trigger events
                # cannot be altered. Django's deferred mode is set back at the end.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                saved = _drop_secondary(cursor)
                # The search words (beneficiaries_nameword) are written once, set-based and sorted, after the
                # COPY instead of by the trigger at each block; the trigger is back on at the end of the load.
                cursor.execute(f"ALTER TABLE beneficiaries_beneficiary DISABLE TRIGGER {WORDS_TRIGGER}")
        started = time.monotonic()
        batches = [(first, min(batch, count - first)) for first in range(0, count, batch)]
        for size, result in _text_batches(world, batches, workers):
            for table in TABLES:
                data, n = result[table]
                if n:
                    _copy(table, data)
                    totals[table] += n
            if progress:
                progress(size)
        timings["rows"] = time.monotonic() - started
        started = time.monotonic()
        with connection.cursor() as cursor:
            if saved:
                cursor.execute(
                    "INSERT INTO beneficiaries_nameword (structure_id, word, beneficiary_id, search_name) "
                    "SELECT b.structure_id, word, b.id, b.search_name FROM beneficiaries_beneficiary b, "
                    "LATERAL cep_search_words(b.search_name, b.phone) AS word ORDER BY 1, 2, 3 ON CONFLICT DO NOTHING"
                )
                cursor.execute(f"ALTER TABLE beneficiaries_beneficiary ENABLE TRIGGER {WORDS_TRIGGER}")
                timings["words"] = time.monotonic() - started
                _restore(cursor, saved)
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            timings["index"] = time.monotonic() - started
            load.last_homonyms = separate_homonyms(world.identity_key)
            for table in TABLES:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"GREATEST((SELECT MAX(id) FROM {table}), 1))"
                )
            started = time.monotonic()
            for table in (*TABLES, "beneficiaries_nameword"):
                cursor.execute(f"ANALYZE {table}")
            timings["analyze"] = time.monotonic() - started
    load.last_timings = timings
    return totals


load.last_timings = {}
load.last_homonyms = 0

# Second given names for a generated person whose identity repeats another's (separate_homonyms).
_SECOND_NAMES = ("Marie", "Jean", "Anne", "Louis", "Claire", "Paul", "Sophie", "Pierre", "Julie", "Michel")


def separate_homonyms(key: bytes) -> int:
    """Every generated dossier is a different person, so no two may share the identity pseudonym (issue 11): the
    name pools are tiny (350 last names), and ~1 person in 2,300 of a 1,000,000 base would otherwise be born the
    same day, same sex, same names as another. The later dossier of each such group (by id) gets a second given
    name. Set-based: one grouped query, then one UPDATE per table for the few rows concerned. Returns how many
    dossiers were changed."""
    from cep.beneficiaries import identity
    from cep.common.text import normalize_name

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT b.id, b.last_name, b.birth_name, b.first_name, b.birth_date, b.sex, b.identity_pseudonym "
            "FROM beneficiaries_beneficiary b JOIN (SELECT identity_pseudonym FROM beneficiaries_beneficiary "
            "WHERE anonymised_at IS NULL GROUP BY 1 HAVING count(*) > 1) d USING (identity_pseudonym) "
            "WHERE b.anonymised_at IS NULL ORDER BY b.identity_pseudonym, b.id"
        )
        rows = cursor.fetchall()
        if not rows:
            return 0
        # The later dossiers of each group; attempt n gives the n-th second given name. One existence check per
        # round for all of them (the identity pseudonym of dossiers has no index: one scan per round, not per row).
        later, previous = [], None
        for row in rows:
            if row[6] != previous:  # the first dossier of the group keeps its identity
                previous = row[6]
            else:
                later.append(row)
        taken, attempt, changes = {r[6] for r in rows}, dict.fromkeys((r[0] for r in later), 0), {}
        pending = later
        while pending:
            proposed = {}
            for pk, last, birth_name, first, born, sex, _ in pending:
                n = attempt[pk]
                name = f"{first} {_SECOND_NAMES[n % len(_SECOND_NAMES)]}" + (
                    f" {n}" if n >= len(_SECOND_NAMES) else ""
                )
                value = identity.identity_pseudonym(
                    last_name=last, birth_name=birth_name, first_name=name, birth_date=born, sex=sex, key=key
                )
                proposed[pk] = (name, normalize_name(f"{last} {name}"), value)
            cursor.execute(
                "SELECT identity_pseudonym FROM beneficiaries_beneficiary WHERE identity_pseudonym = ANY(%s)",
                [[v for _, _, v in proposed.values()]],
            )
            existing = {r[0] for r in cursor.fetchall()}
            retry = []
            for row in pending:
                value = proposed[row[0]][2]
                if value in existing or value in taken:
                    attempt[row[0]] += 1
                    retry.append(row)
                else:
                    taken.add(value)
                    changes[row[0]] = proposed[row[0]]
            pending = retry
        changes = [(pk, *changes[pk]) for pk in sorted(changes)]
        ids, names, searches, values = (list(column) for column in zip(*changes, strict=True))
        cursor.execute(
            "UPDATE beneficiaries_beneficiary b SET first_name = v.f, search_name = v.s, identity_pseudonym = v.p "
            "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) AS v(id, f, s, p) WHERE b.id = v.id",
            [ids, names, searches, values],
        )
        cursor.execute(
            "UPDATE enrolments_cep c SET identity_pseudonym = b.identity_pseudonym FROM beneficiaries_beneficiary b "
            "WHERE b.id = c.beneficiary_id AND b.id = ANY(%s)",
            [ids],
        )
    return len(changes)


def _copy(table: str, data: bytes) -> None:
    columns = ", ".join(COLUMNS[table])
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            copy.write(data)


_WORLD: World | None = None  # set before forking: the workers inherit it


def _text_batches(world: World, batches: list, workers: int):
    """Yield (size, {table: (COPY text bytes, row count)}) in batch order, generated here or by workers."""
    global _WORLD
    _WORLD = world
    if workers <= 1:
        for batch in batches:
            yield batch[1], _work(batch)
        return
    # fork: the workers inherit the world and never touch the database connection (they end with os._exit).
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for batch, result in zip(batches, pool.imap(_work, batches), strict=True):
            yield batch[1], result


def _work(batch: tuple[int, int]) -> dict:
    rows = Rows()
    generate(_WORLD, batch[0], batch[1], rows)
    return {table: (copy_text(data), len(data)) for table, data in rows.by_table.items()}


def copy_text(rows: list) -> bytes:
    """COPY text format. Values are None, bools, ints or strings without tab, newline nor backslash
    (names and labels are checked by the generator; JSON is written without escapes)."""
    lines = [
        "\t".join(
            [
                "\\N"
                if v is None
                else "t"
                if v is True
                else "f"
                if v is False
                else v
                if v.__class__ is str
                else str(v)
                for v in row
            ]
        )
        for row in rows
    ]
    lines.append("")
    return "\n".join(lines).encode()


def _drop_secondary(cursor) -> dict:
    """Drop the non-unique secondary indexes and the foreign keys of the big tables; return their definitions."""
    tables = list(TABLES)
    cursor.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
        [tables],
    )
    foreign_keys = cursor.fetchall()
    cursor.execute(
        "SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
        "FROM pg_index i WHERE NOT i.indisprimary AND NOT i.indisunique AND i.indrelid::regclass::text = ANY(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1, 2",
        [tables],
    )
    indexes = cursor.fetchall()
    for table, name, _ in foreign_keys:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for _, name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return {"foreign_keys": foreign_keys, "indexes": indexes}


def _restore(cursor, saved: dict) -> None:
    """Recreate exactly what was dropped; PostgreSQL validates every foreign key on the loaded rows."""
    for _, _, definition in saved["indexes"]:
        cursor.execute(definition)
    for table, name, definition in saved["foreign_keys"]:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
