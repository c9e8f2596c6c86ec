"""The portable export (exports_portable, used on the demo's SQLite) gives exactly the lines and bytes of the SQL.

On PostgreSQL both paths run on the same data and are compared line by line and byte by byte; an end-to-end run
on a temporary SQLite database (subprocess) produces, validates and checks a demo month.
"""

import datetime
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cep.accounts.rights import Role
from cep.beneficiaries.models import Beneficiary
from cep.common.dates import add_months
from cep.enrolments import services as ceps
from cep.enrolments.models import Cep
from cep.reporting import exports, exports_portable
from cep.reporting.batches import import_return_file
from cep.reporting.contract import get_version, version_for_month
from cep.reporting.models import ExportBatch, ExportLine, Movement, Scope
from tests.factories import StructureFactory, UserFactory
from tests.reporting.export_fixtures import *  # noqa: F401,F403
from tests.reporting.export_fixtures import build_month, produce, transmit

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _new_batch(month, *, structure=None, operator=None) -> ExportBatch:
    scope = Scope.STRUCTURE if structure else Scope.OPERATOR if operator else Scope.NATIONAL
    return ExportBatch.objects.create(
        scope=scope,
        structure=structure,
        operator=operator,
        month=month,
        contract_version=version_for_month(month).version,
    )


LINE_COLUMNS = ("resource", "line_number", "movement", "object_type", "object_id", "line_hash", "payload", "state")


def _produce_lines(batch, version, insert, stream):
    counts = insert(batch, version)
    lines = list(ExportLine.objects.filter(batch=batch).order_by("resource", "line_number").values_list(*LINE_COLUMNS))
    files = {name: b"".join(stream(batch.pk, resource)) for name, resource in version.resources.items()}
    ExportLine.objects.filter(batch=batch).delete()
    return counts, lines, files


def both_ways(month, **target):
    """The lines, counts and file bytes of the month computed by the SQL path and by the portable path."""
    batch = _new_batch(month, **target)
    version = get_version(batch.contract_version)
    sql = _produce_lines(batch, version, exports.insert_lines, exports.stream_file)
    portable = _produce_lines(batch, version, exports_portable.insert_lines, exports_portable.stream_file)
    batch.delete()
    return sql, portable


def assert_same(month, **target):
    (sql_counts, sql_lines, sql_files), (counts, lines, files) = both_ways(month, **target)
    assert lines == sql_lines
    assert {k: v for k, v in counts.items() if v} == {k: v for k, v in sql_counts.items() if v}
    assert files == sql_files
    return lines


@pytest.fixture
def admin(refdata):
    return UserFactory(username="admin_national", role=Role.ADMIN, structure=None)


def test_portable_lines_equal_the_sql_through_creations_modifications_suppressions_and_rejections(
    structure, counselor, cep_refs, event_refs, people, month, admin
):
    operator = structure.operator
    m3, m2 = add_months(month, -2), add_months(month, -1)

    def site(name):
        s = StructureFactory(operator=operator)
        return s, UserFactory(username=f"conseiller_{name}", role=Role.COUNSELOR, structure=s)

    (s_old, c_old), (s_new, c_new) = site("old"), site("new")
    common = {"cep_refs": cep_refs, "event_refs": event_refs, "people": people}
    old = build_month(structure=s_old, counselor=c_old, month=m3, **common)
    mid = build_month(structure=structure, counselor=counselor, month=m2, **common)
    build_month(structure=s_new, counselor=c_new, month=month, **common)

    # First month of the scope: creations only (first = the month itself).
    assert {line[2] for line in assert_same(m3, operator=operator)} == {Movement.CREATION}
    transmit(produce(actor=admin, month=m3, operator=operator), admin)
    assert_same(m2, operator=operator)
    sent = produce(actor=admin, month=m2, operator=operator)
    transmit(sent, admin)
    import_return_file(batch=sent, resource="entrees", content=b"1;0000;OK\n2;E102;Rejet\n", actor=admin)
    rejected = sent.lines.get(resource="entrees", line_number=2)

    ceps.modify_cep(cep=old["c"], actor=c_old, request_reason=cep_refs["reconversion"])  # sent in m3: modification
    ceps.delete_cep(cep=old["a"], actor=c_old)  # its entry and its service: suppressions
    ceps.reopen_cep(cep=mid["b"], actor=counselor)  # its exit, sent in m2: suppression

    lines = assert_same(month, operator=operator)
    moves = {(resource, object_id): movement for resource, _, movement, _, object_id, *_ in lines}
    assert moves[("entrees", old["c"].pk)] == Movement.MODIFICATION
    assert moves[("entrees", old["a"].pk)] == Movement.DELETION
    assert moves[("services", old["a"].services.get().pk)] == Movement.DELETION
    assert moves[("sorties", mid["b"].pk)] == Movement.DELETION
    assert moves[("entrees", rejected.object_id)] == Movement.CREATION  # a rejected line goes out again
    assert {m for _, _, m, *_ in lines} == {Movement.CREATION, Movement.MODIFICATION, Movement.DELETION}
    # Numbering: creations, then modifications, then suppressions, in every file.
    for resource in ("entrees", "services", "sorties"):
        order = [m for r, _, m, *_ in lines if r == resource]
        rank = {Movement.CREATION: 1, Movement.MODIFICATION: 2, Movement.DELETION: 3}
        assert order == sorted(order, key=rank.get)
    # Other scopes of the same data: a structure without earlier batch, and the nation.
    assert_same(month, structure=structure)
    assert_same(month)


def test_the_produced_month_is_the_same_through_the_portable_path(month_data, manager, structure, month, monkeypatch):
    """The whole job (lines, hashes, validation, files) run with the portable functions gives the same batch."""
    from cep.reporting import batches

    by_sql = produce(actor=manager, month=month, structure=structure)
    monkeypatch.setattr(batches, "insert_lines", exports_portable.insert_lines)
    monkeypatch.setattr(batches, "stream_file", exports_portable.stream_file)
    portable = produce(actor=manager, month=month, structure=structure)
    monkeypatch.undo()
    assert portable.status == by_sql.status and portable.row_count == by_sql.row_count == 4
    assert portable.sha256 == by_sql.sha256
    assert list(portable.files.values_list("resource", "sha256", "size")) == list(
        by_sql.files.values_list("resource", "sha256", "size")
    )


SAFE_TEXT = st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))


def test_return_codes_are_applied_the_same_without_postgresql(month_data, manager, structure, month):
    """The ORM path of the return-file import (SQLite) sets the states, codes and messages like the SQL one."""
    from cep.reporting import batches

    results = []
    for apply in (batches._apply_return_codes_sql, batches._apply_return_codes_orm):
        batch = produce(actor=manager, month=month, structure=structure)
        apply(batch, "entrees", [(2, "E102", "Code structure inconnu"), (1, "0000", "")])
        results.append(
            list(batch.lines.order_by("resource", "line_number").values_list("state", "return_code", "return_message"))
        )
    assert results[0] == results[1]
    assert results[1][:2] == [("processed", "0000", ""), ("rejected", "E102", "Code structure inconnu")]
    assert results[1][2:] == [("new", "", "")] * 2  # the other files' lines are untouched


ROME = st.sampled_from(["M1607", "N4101", "A1234", "O1234", "m1607", "M160", "M160\n", "", "Ｍ1607"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rome=ROME | st.text(alphabet=SAFE_TEXT, max_size=5),
    rqth=st.booleans(),
    sex=st.sampled_from(["F", "M"]),
    birth=st.dates(min_value=datetime.date(100, 1, 1), max_value=datetime.date(2010, 12, 31)),
    qualification=st.sampled_from([None, "niveau_4"]),
    interview=st.booleans(),
    project=st.booleans(),
)
def test_every_field_is_formatted_like_the_sql(
    month_data, structure, month, cep_refs, rome, rqth, sex, birth, qualification, interview, project
):
    cep = month_data["a"]
    Beneficiary.objects.filter(pk=cep.beneficiary_id).update(
        target_rome_code=rome, has_rqth=rqth, sex=sex, birth_date=birth, qualification_level_id=qualification
    )
    Cep.objects.filter(pk=cep.pk).update(
        initial_interview_date=cep.entry_date if interview else None,
        project_type=cep_refs["project"] if project else None,
    )
    lines = assert_same(month, structure=structure)
    assert any(obj == cep.pk and resource == "entrees" for resource, _, _, _, obj, *_ in lines)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payloads=st.lists(st.text(alphabet=SAFE_TEXT, max_size=30), min_size=0, max_size=4))
def test_file_bytes_are_those_of_copy_whatever_the_payload(structure, month, payloads):
    """COPY's text format escapes backslashes and control characters: the portable stream writes the same."""
    payloads = [*payloads, "a\tb\\c\nd\re\x01f\x0bg\x0ch\x08é;€"]
    batch = _new_batch(month, structure=structure)
    ExportLine.objects.bulk_create(
        ExportLine(
            batch=batch,
            resource="entrees",
            line_number=n,
            movement=Movement.CREATION,
            object_type="cep",
            object_id=n,
            line_hash="0" * 64,
            payload=payload,
        )
        for n, payload in enumerate(payloads, start=1)
    )
    resource = get_version(batch.contract_version).resources["entrees"]
    copied = b"".join(exports.stream_file(batch.pk, resource))
    assert b"".join(exports_portable.stream_file(batch.pk, resource)) == copied
    batch.delete()


SQLITE_CHECK = textwrap.dedent(
    """
    import json
    from django.test import Client
    from django.utils import timezone
    from cep.accounts.models import User
    from cep.enrolments.models import Cep
    from cep.referentials.models import ProjectType
    from cep.beneficiaries.models import Beneficiary
    from cep.reporting.batches import (
        differences, import_return_file, mark_transmitted, parse_month, produce, request_export,
    )
    from cep.reporting.contract import get_version
    from cep.reporting.exports import stream_file
    from cep.reporting.models import ExportBatch
    from cep.reporting.validation import validate_text

    month = parse_month("{month}")
    manager = User.objects.get(username="responsable.ml")
    batch = ExportBatch.objects.filter(structure=manager.structure, month=month).latest("pk")
    version = get_version(batch.contract_version)
    files = {{n: b"".join(stream_file(batch.pk, r)) for n, r in version.resources.items()}}
    names = set()
    for b in Beneficiary.objects.all():
        names.update(v for v in (b.last_name, b.first_name, b.email, b.phone, b.birth_date.isoformat()) if v)
    everything = b"".join(files.values()).decode()
    result = {{
        "status": batch.status, "job_state": batch.job_state, "rows": batch.row_count,
        "errors": sum(validate_text(t.decode(), version, n, month).error_count for n, t in files.items()),
        "lines": {{n: len(t.splitlines()) - 1 for n, t in files.items()}},
        "leaks": sorted(n for n in names if len(n) >= 3 and n in everything)[:5],
        "file_sha": [f.sha256 for f in batch.files.order_by("resource")],
    }}
    # Transmit, import a return file, produce the month again: same bytes, no difference listed.
    mark_transmitted(batch=batch, actor=manager)
    result["return"] = import_return_file(batch=batch, resource="entrees", content=b"1;E102;Rejet\\n", actor=manager)
    again = produce(request_export(actor=manager, month=month, structure=manager.structure, run=False).pk)
    result["again_identical"] = differences(again)["identical"]
    result["again_status"] = again.status
    # A changed CEP of the month: the next production lists it among the differences (FULL OUTER JOIN).
    cep = Cep.objects.get(pk=again.lines.get(resource="entrees", line_number=1).object_id)
    other = ProjectType.objects.exclude(code=cep.project_type_id).order_by("code").first()
    Cep.objects.filter(pk=cep.pk).update(project_type=other, updated_at=timezone.now())
    changed = produce(request_export(actor=manager, month=month, structure=manager.structure, run=False).pk)
    result["changed"] = differences(changed)["counts"]
    # The pages: the batch, then the download of each file (the same bytes).
    client = Client(SERVER_NAME="localhost")
    client.force_login(manager)
    result["page"] = client.get(f"/fichiers-mensuels/{{batch.pk}}/").status_code
    result["downloads_equal"] = all(
        b"".join(client.get(f"/fichiers-mensuels/{{batch.pk}}/{{n}}.csv").streaming_content) == t
        for n, t in files.items()
    )
    print("RESULT " + json.dumps(result))
    """
)


def test_monthly_run_on_sqlite_end_to_end(tmp_path):
    """`make run`'s database: migrate, demo, sent months, accounts, then `cep_monthly` for last month, on SQLite;
    then transmission, a return file, productions again (same bytes, then a listed difference) and the pages."""
    from cep.reporting.batches import default_month

    month = f"{default_month():%Y-%m}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
    }

    def manage(*args, check=True):
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert not check or done.returncode == 0, done.stdout + done.stderr
        return done

    manage("migrate", "--noinput", "-v0")
    manage("generate_demo", "--beneficiaries", "300")
    manage("demo_batches", "--no-progress")  # M-3 and M-2 sent: last month gets their corrections
    manage("demo_accounts")
    run = manage("cep_monthly", "--month", month)
    assert "0 refusé(s) par le contrôle, 0 en échec" in run.stdout, run.stdout
    checked = manage("shell", "-c", SQLITE_CHECK.format(month=month))
    result = json.loads(checked.stdout.split("RESULT ", 1)[1])
    assert (result["job_state"], result["status"]) == ("done", "validated")
    assert result["errors"] == 0 and result["leaks"] == []
    assert result["rows"] == sum(result["lines"].values()) > 0
    assert result["again_identical"] and result["again_status"] == "validated"
    assert result["lines"]["entrees"] > 0, "the demo manager's structure has entries last month"
    assert result["return"] == {"processed": 0, "rejected": 1}
    assert result["changed"] == {"changed": 1}
    assert result["page"] == 200 and result["downloads_equal"]
