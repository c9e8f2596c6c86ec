"""Import of beneficiaries: the check (dry run) writes only its batch, the confirmation applies the saved plan,
re-importing changes nothing, the undo reverts the whole batch while nothing was built on it."""

import io

import pytest

from cep.audit.models import AuditEntry
from cep.beneficiaries import identity
from cep.beneficiaries.models import Beneficiary, NameWord
from cep.common.errors import RuleViolation
from cep.imports import services
from cep.imports.models import ImportBatch, ImportLine, Outcome, Status

from .conftest import HEADER, csv_bytes, people, row


def check(actor, data: bytes, name="beneficiaires.csv", encoding=None):
    return services.check_file(actor=actor, file=io.BytesIO(data), name=name, encoding=encoding)


def apply_now(batch, actor):
    services.confirm(batch=batch, actor=actor, encoding_confirmed=True, run=False)
    # run=False applies on commit; the test's transaction never commits: apply directly.
    batch = services.apply(batch.pk)
    return batch


def undo_now(batch, actor):
    services.undo(batch=batch, actor=actor, run=False)
    # The request is accepted and queued; the job runs on commit, which the test's transaction never reaches.
    return services.perform_undo(batch.pk)


def outcomes(batch):
    return dict(ImportLine.objects.filter(batch=batch).values_list("line_number", "outcome"))


def test_the_dry_run_writes_only_its_batch(importer):
    before_audit = AuditEntry.objects.count()
    batch = check(importer, csv_bytes(people(3)))
    assert batch.status == Status.CHECKED
    assert (batch.line_count, batch.create_count, batch.refused_count) == (3, 3, 0)
    assert batch.encoding == "utf-8" and batch.delimiter == ";"
    assert batch.column_mapping["prenom"] == "prenom"
    assert len(batch.file_sha256) == 64
    assert Beneficiary.objects.count() == 0
    assert NameWord.objects.count() == 0
    assert AuditEntry.objects.count() == before_audit


def test_apply_creates_dossiers_with_pseudonym_search_words_and_audit(importer, structure):
    batch = apply_now(check(importer, csv_bytes(people(3))), importer)
    assert batch.status == Status.APPLIED, batch.job_error
    created = list(Beneficiary.objects.filter(structure=structure).order_by("id"))
    assert len(created) == 3
    first = created[0]
    assert first.identity_pseudonym == identity.of(first)
    assert first.search_name == "martin personne0"
    assert first.status == "justified" and first.justified_at is not None
    assert first.department_id == "2A" and first.region_id == "94"
    assert first.referent_id == importer.pk
    assert set(NameWord.objects.filter(beneficiary=first).values_list("word", flat=True)) == {"martin", "personne0"}
    entries = AuditEntry.objects.filter(action="import_create_beneficiary")
    assert entries.count() == 3
    assert entries.get(object_id=first.pk).after["last_name"] == "Martin"
    assert AuditEntry.objects.filter(action="apply_import", object_id=batch.pk).exists()


def test_reimporting_the_same_file_changes_nothing(importer):
    data = csv_bytes(people(4))
    apply_now(check(importer, data), importer)
    snapshot = list(Beneficiary.objects.order_by("id").values())
    again = check(importer, data)
    assert set(outcomes(again).values()) == {Outcome.UNCHANGED}
    assert again.unchanged_count == 4
    with pytest.raises(RuleViolation) as err:
        services.confirm(batch=again, actor=importer, encoding_confirmed=True, run=False)
    assert err.value.rule == "IMPORT"
    assert list(Beneficiary.objects.order_by("id").values()) == snapshot


def test_a_changed_cell_is_an_update_and_undo_restores_it(importer):
    apply_now(check(importer, csv_bytes([row(courriel="lea@example.org")])), importer)
    dossier = Beneficiary.objects.get()
    batch = check(importer, csv_bytes([row(courriel="lea.martin@example.org", nom="MARTIN")]))
    assert outcomes(batch) == {2: Outcome.UPDATE}
    batch = apply_now(batch, importer)
    dossier.refresh_from_db()
    assert (dossier.email, dossier.last_name) == ("lea.martin@example.org", "MARTIN")
    update = AuditEntry.objects.get(action="import_update_beneficiary")
    assert update.before["email"] == "lea@example.org" and update.after["email"] == "lea.martin@example.org"
    undo_now(batch, importer)
    dossier.refresh_from_db()
    assert (dossier.email, dossier.last_name) == ("lea@example.org", "Martin")
    assert AuditEntry.objects.filter(action="undo_import_update_beneficiary").count() == 1


def test_undo_deletes_the_created_dossiers_and_their_words(importer):
    batch = apply_now(check(importer, csv_bytes(people(2))), importer)
    batch = undo_now(batch, importer)
    assert batch.status == Status.UNDONE and batch.undone_by == importer and batch.undone_at
    assert Beneficiary.objects.count() == 0 and NameWord.objects.count() == 0
    assert AuditEntry.objects.filter(action="undo_import_create_beneficiary").count() == 2


def test_import_annulation_undo_refused_once_a_cep_was_built_on_a_dossier(importer, cep_refs):
    from cep.enrolments.services import open_cep

    young = [row(prenom="Inès", date_naissance="14/03/2005"), row(prenom="Théo", date_naissance="01/01/2004")]
    batch = apply_now(check(importer, csv_bytes(young)), importer)
    dossier = Beneficiary.objects.order_by("id").first()
    open_cep(
        beneficiary=dossier,
        actor=importer,
        orientation_source=cep_refs["direct"],
        entry_date=dossier.first_reception_date,
        entry_phase=2,
        request_reason=cep_refs["reason"],
    )
    with pytest.raises(RuleViolation) as err:
        services.undo(batch=batch, actor=importer)
    assert err.value.rule == "IMPORT_ANNULATION"
    assert Beneficiary.objects.count() == 2


def test_import_annulation_undo_refused_after_a_change_of_a_dossier(importer):
    from cep.beneficiaries.services import update_beneficiary

    batch = apply_now(check(importer, csv_bytes(people(1))), importer)
    update_beneficiary(beneficiary=Beneficiary.objects.get(), actor=importer, phone="0612345678")
    with pytest.raises(RuleViolation) as err:
        services.undo(batch=batch, actor=importer)
    assert err.value.rule == "IMPORT_ANNULATION"


def test_import_annulation_only_an_applied_batch(importer):
    batch = check(importer, csv_bytes(people(1)))
    with pytest.raises(RuleViolation) as err:
        services.undo(batch=batch, actor=importer)
    assert err.value.rule == "IMPORT_ANNULATION"


def test_same_person_twice_in_the_file_is_a_duplicate_of_the_first_line(importer):
    batch = check(importer, csv_bytes([row(), row(prenom="LEA", nom="martin")]))
    lines = {line.line_number: line for line in ImportLine.objects.filter(batch=batch)}
    assert lines[2].outcome == Outcome.CREATE
    assert (lines[3].outcome, lines[3].duplicate_of) == (Outcome.DUPLICATE, 2)


def test_a_person_already_in_two_dossiers_is_a_duplicate(importer, structure):
    from tests.factories import BeneficiaryFactory

    for _ in range(2):
        BeneficiaryFactory(
            structure=structure,
            last_name="Martin",
            first_name="Léa",
            sex="F",
            birth_date="1990-03-14",
            first_reception_date="2025-09-02",
        )
    batch = check(importer, csv_bytes([row()]))
    assert outcomes(batch) == {2: Outcome.DUPLICATE}


def test_another_structures_dossier_is_not_matched(importer, other_structure):
    from tests.factories import BeneficiaryFactory

    BeneficiaryFactory(
        structure=other_structure,
        last_name="Martin",
        first_name="Léa",
        sex="F",
        birth_date="1990-03-14",
        first_reception_date="2025-09-02",
    )
    batch = check(importer, csv_bytes([row()]))
    assert outcomes(batch) == {2: Outcome.CREATE}


def test_the_plan_is_refused_if_the_dossiers_changed_since_the_check(importer):
    data = csv_bytes(people(2))
    first = check(importer, data)
    second = check(importer, data)
    apply_now(first, importer)
    second = apply_now(second, importer)
    assert second.status == Status.FAILED
    assert "ont changé depuis le contrôle" in second.job_error
    assert Beneficiary.objects.count() == 2


def test_discard_removes_a_checked_batch(importer):
    batch = check(importer, csv_bytes(people(2)))
    services.discard(batch=batch, actor=importer)
    assert not ImportBatch.objects.exists() and not ImportLine.objects.exists()


def test_droits_a_counselor_cannot_import(counselor):
    with pytest.raises(RuleViolation) as err:
        check(counselor, csv_bytes(people(1)))
    assert err.value.rule == "DROITS"
    assert not ImportBatch.objects.exists()


def test_droits_another_structure_cannot_confirm(importer, other_structure):
    from cep.accounts.rights import Role
    from tests.factories import UserFactory

    batch = check(importer, csv_bytes(people(1)))
    stranger = UserFactory(username="autre", role=Role.MANAGER, structure=other_structure)
    with pytest.raises(RuleViolation) as err:
        services.confirm(batch=batch, actor=stranger, encoding_confirmed=True, run=False)
    assert err.value.rule == "DROITS"


def test_header_row_has_every_template_column():
    from cep.imports.beneficiaries import COLUMNS

    assert [c.name for c in COLUMNS] == HEADER


@pytest.mark.django_db(transaction=True)
def test_confirmed_batch_is_applied_after_commit_with_its_progress_written_aside(refdata, structure):
    """The real path: the plan applied once the confirmation commits, the progress written on another connection
    while the batch's transaction is open (no lock between them)."""
    from cep.accounts.rights import Role
    from tests.factories import UserFactory

    actor = UserFactory(username="importeur_tx", role=Role.MANAGER, structure=structure)
    batch = check(actor, csv_bytes(people(3)))
    services.confirm(batch=batch, actor=actor, encoding_confirmed=True, run=False)
    batch.refresh_from_db()
    assert batch.status == Status.APPLIED, batch.job_error
    assert (batch.progress_done, batch.progress_total) == (3, 3)
    assert Beneficiary.objects.filter(structure=structure).count() == 3


def test_the_demo_file_gives_the_documented_report(importer):
    """docs/import.md: beneficiaires-exemple.csv = 4 creations, 1 duplicate, 3 refusals; its Windows-1252 twin the
    same; re-imported once applied, nothing to write."""
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "docs" / "import"
    utf8 = check(importer, (folder / "beneficiaires-exemple.csv").read_bytes())
    windows = check(importer, (folder / "beneficiaires-exemple-windows.csv").read_bytes())
    for batch in (utf8, windows):
        assert (batch.create_count, batch.duplicate_count, batch.refused_count) == (4, 1, 3)
    assert (utf8.encoding, windows.encoding) == ("utf-8-sig", "cp1252")
    refused = dict(ImportLine.objects.filter(batch=utf8, outcome="refused").values_list("line_number", "errors"))
    assert [e["rule"] for e in refused[6]] == ["SAISIE"] and [e["rule"] for e in refused[8]] == ["R1"]
    apply_now(utf8, importer)
    again = check(importer, (folder / "beneficiaires-exemple.csv").read_bytes())
    assert (again.create_count, again.update_count, again.unchanged_count) == (0, 0, 4)


def test_a_batch_never_handed_to_the_worker_is_marked_failed_after_the_lease(importer, settings):
    import datetime

    from django.utils import timezone

    batch = check(importer, csv_bytes(people(1)))
    services.confirm(batch=batch, actor=importer, encoding_confirmed=True)  # never committed here: no task
    ImportBatch.objects.filter(pk=batch.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(hours=1))
    assert services.expire_stale() == [batch.pk]
    batch.refresh_from_db()
    assert batch.status == Status.FAILED and "rien n'a été importé" in batch.job_error


def test_undo_is_queued_then_done_by_the_worker_in_one_go(importer):
    batch = apply_now(check(importer, csv_bytes(people(2))), importer)
    queued = services.undo(batch=batch, actor=importer)
    assert queued.status == Status.TO_UNDO and queued.is_running
    assert Beneficiary.objects.count() == 2  # nothing undone before the worker takes it
    with pytest.raises(RuleViolation) as err:  # asked twice
        services.undo(batch=batch, actor=importer)
    assert err.value.rule == "IMPORT_ANNULATION"
    done = services.perform_undo(batch.pk)
    assert done.status == Status.UNDONE and not Beneficiary.objects.exists()
    assert services.perform_undo(batch.pk).status == Status.UNDONE  # delivered twice: nothing more
    assert AuditEntry.objects.filter(action="undo_import").count() == 1


def test_import_annulation_a_cep_opened_between_the_request_and_the_job_keeps_the_import(importer, cep_refs):
    from cep.enrolments.services import open_cep

    batch = apply_now(check(importer, csv_bytes([row(prenom="Inès", date_naissance="14/03/2005")])), importer)
    services.undo(batch=batch, actor=importer, run=False)
    dossier = Beneficiary.objects.get()
    open_cep(
        beneficiary=dossier,
        actor=importer,
        orientation_source=cep_refs["direct"],
        entry_date=dossier.first_reception_date,
        entry_phase=2,
        request_reason=cep_refs["reason"],
    )
    batch = services.perform_undo(batch.pk)
    assert batch.status == Status.APPLIED and "repris" in batch.job_error and batch.undone_by is None
    assert Beneficiary.objects.filter(pk=dossier.pk).exists()
    assert not AuditEntry.objects.filter(action__startswith="undo_import").exists()


def test_a_dead_undo_leaves_the_import_applied_and_says_so(importer):
    import datetime

    from django.utils import timezone

    batch = apply_now(check(importer, csv_bytes(people(1))), importer)
    services.undo(batch=batch, actor=importer)  # never committed here: no task
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=Status.UNDOING, heartbeat_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert services.expire_stale() == [batch.pk]
    batch.refresh_from_db()
    assert batch.status == Status.APPLIED and "rien n'a été annulé" in batch.job_error
    assert Beneficiary.objects.count() == 1
    assert undo_now(batch, importer).status == Status.UNDONE  # it can be asked again


def test_the_dossiers_get_their_ids_in_the_files_order(importer):
    """Ids are drawn over the sorted lines: the plan's UPDATEs move a line's tuple to the end of the heap, and ids
    drawn in the heap's order would give line 2 the last one."""
    from django.db import connection

    batch = check(importer, csv_bytes(people(4)))
    with connection.cursor() as cursor:  # line 2's tuple moves after the others, as a plan's UPDATE does
        cursor.execute(
            "UPDATE imports_importline SET errors = errors WHERE batch_id = %s AND line_number = 2", [batch.pk]
        )
    apply_now(batch, importer)
    ids = list(ImportLine.objects.filter(batch=batch).order_by("line_number").values_list("object_id", flat=True))
    assert ids == sorted(ids) and len(set(ids)) == 4
    names = list(Beneficiary.objects.order_by("id").values_list("first_name", flat=True))
    assert names == sorted(names)  # people(4) names them Personne0… in the file's order


def test_import_annulation_undo_refused_once_a_later_import_updated_a_dossier(importer):
    first = apply_now(check(importer, csv_bytes(people(2))), importer)
    changed = people(1)
    changed[0][HEADER.index("telephone")] = "0612345678"
    later = apply_now(check(importer, csv_bytes(changed), name="mise-a-jour.csv"), importer)
    assert later.status == Status.APPLIED and later.update_count == 1
    with pytest.raises(RuleViolation) as err:
        services.undo(batch=first, actor=importer)
    assert err.value.rule == "IMPORT_ANNULATION"
    assert "import plus récent" in err.value.message
    assert Beneficiary.objects.count() == 2


def _scans(plan: dict) -> list[dict]:
    """Every scan node of an EXPLAIN (FORMAT JSON) plan, outer before inner."""
    found = [plan] if "Relation Name" in plan else []
    for child in plan.get("Plans", []):
        found += _scans(child)
    return found


@pytest.mark.parametrize("kind", ["beneficiaries", "ceps", "events", "services"])
def test_undo_probes_are_driven_by_the_batch_lines_through_an_index(importer, kind, monkeypatch):
    """Each « built on since » probe scans the batch's lines first, then one index probe per line (the foreign
    key's, or the history's by object): never the history's date index, whose statistics are stale right after a
    large import (a plain join planned that way took 450 s to undo 10,000 lines after a 100,000-line import)."""
    import json

    from django.db import connection
    from django.utils import timezone

    from cep.imports import created

    module = services.KINDS[kind]
    seen = []
    real = created.first_found

    def explain(checks, params):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # tiny test tables: ask which indexes can serve
            # Plain index scans, then bitmap scans (which the planner picks on other statistics).
            for bitmap in ("off", "on"):
                cursor.execute(f"SET LOCAL enable_indexscan = {'on' if bitmap == 'off' else 'off'}")
                cursor.execute(f"SET LOCAL enable_indexonlyscan = {'on' if bitmap == 'off' else 'off'}")
                for sql, label in checks:
                    cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
                    raw = cursor.fetchone()[0]
                    seen.append((label, _scans((json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"])))
            cursor.execute("RESET enable_seqscan; RESET enable_indexscan; RESET enable_indexonlyscan")
        return real(checks, params)

    batch = ImportBatch.objects.create(
        structure=importer.structure, kind=kind, created_by=importer, file_format="csv", applied_at=timezone.now()
    )
    monkeypatch.setattr(created, "first_found", explain)
    module.built_on(batch)
    assert len(seen) >= 4 and {scan["Node Type"] for _, scans in seen for scan in scans[1:]} >= {"Bitmap Heap Scan"}
    for label, scans in seen:
        if label == "import plus récent":
            continue  # an INTERSECT of two sets of lines, hashed: no index per line
        assert scans[0]["Relation Name"] == "imports_importline", label
        for scan in scans[1:]:
            assert scan["Node Type"] in ("Index Scan", "Index Only Scan", "Bitmap Heap Scan"), (label, scan)
            # A bitmap scan reads its index in its child node (the planner picks it on some statistics).
            index = scan if scan["Node Type"] != "Bitmap Heap Scan" else scan["Plans"][0]
            assert index.get("Index Name") != "audit_auditentry_at_09f867ec", label
            assert "l.object_id" in index.get("Index Cond", ""), (label, scan)


def test_the_check_reserves_the_created_rows_ids_and_gives_back_those_of_lines_moved_elsewhere(importer):
    batch = check(importer, csv_bytes(people(3) + people(1)))  # line 5: the person of line 2 again
    ids = dict(ImportLine.objects.filter(batch=batch).values_list("line_number", "object_id"))
    assert outcomes(batch)[5] == Outcome.DUPLICATE and ids[5] is None
    reserved = [ids[2], ids[3], ids[4]]
    assert None not in reserved and reserved == sorted(reserved)
    assert not Beneficiary.objects.filter(pk__in=reserved).exists()
    apply_now(batch, importer)
    names = Beneficiary.objects.filter(pk__in=reserved).order_by("id").values_list("first_name", flat=True)
    assert list(names) == ["Personne0", "Personne1", "Personne2"]
    again = check(importer, csv_bytes(people(3)))  # matched lines keep the dossier they found
    assert sorted(ImportLine.objects.filter(batch=again).values_list("object_id", flat=True)) == reserved


def test_a_file_longer_than_a_block_is_written_whole_with_ids_in_the_files_order(importer, monkeypatch):
    monkeypatch.setattr(services, "COPY_BLOCK", 2)  # 7 lines: four blocks, the last one short
    rows = people(5) + people(1) + [row(prenom="Zoé", sexe="X")]  # line 7: the person of line 2; line 8: refused
    batch = check(importer, csv_bytes(rows))
    assert (batch.line_count, batch.create_count, batch.duplicate_count, batch.refused_count) == (7, 5, 1, 1)
    ids = dict(ImportLine.objects.filter(batch=batch).values_list("line_number", "object_id"))
    assert ids[7] is None and ids[8] is None
    reserved = [ids[n] for n in range(2, 7)]
    assert None not in reserved and reserved == sorted(reserved)
    apply_now(batch, importer)
    names = Beneficiary.objects.filter(pk__in=reserved).order_by("id").values_list("first_name", flat=True)
    assert list(names) == [f"Personne{i}" for i in range(5)]
