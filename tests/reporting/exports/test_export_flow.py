"""The monthly export end to end: contents, privacy, pseudonyms, reproducibility, corrections, return files."""

import datetime
import hashlib
import io

import pytest
from django.core.management import call_command
from django.test import override_settings

from cep.accounts.rights import Role
from cep.common.dates import add_months
from cep.common.errors import RuleViolation
from cep.enrolments import services as ceps
from cep.enrolments.models import Cep
from cep.reporting.exports import pseudonyms
from cep.reporting.exports.batches import mark_transmitted, request_export
from cep.reporting.exports.contract import get_version
from cep.reporting.exports.files import stream_file
from cep.reporting.exports.models import BatchStatus, ExportLine, JobState, LineState, Scope
from cep.reporting.exports.queries import differences
from cep.reporting.exports.returns import import_return_file
from tests.clock import today
from tests.factories import StructureFactory, UserFactory
from tests.reporting.exports.export_fixtures import *  # noqa: F401,F403
from tests.reporting.exports.export_fixtures import build_month, frictionless_errors, produce

pytestmark = pytest.mark.django_db


def file_bytes(batch, resource) -> bytes:
    version = get_version(batch.contract_version)
    return b"".join(stream_file(batch.pk, version.resources[resource]))


def rows(batch, resource) -> list[dict]:
    text = file_bytes(batch, resource).decode()
    lines = text.splitlines()
    names = lines[0].split(";")
    return [dict(zip(names, line.split(";"), strict=True)) for line in lines[1:]]


@pytest.fixture
def earlier_month():
    """Two months ago: its next month (last month) can be produced too."""
    return add_months(today().replace(day=1), -2)


@pytest.fixture
def earlier_data(structure, counselor, earlier_month, cep_refs, event_refs, people):
    return build_month(
        structure=structure,
        counselor=counselor,
        month=earlier_month,
        cep_refs=cep_refs,
        event_refs=event_refs,
        people=people,
    )


def test_every_file_of_the_month_validates_against_its_contract(month_data, manager, structure, month, tmp_path):
    batch = produce(actor=manager, month=month, structure=structure)
    assert batch.job_state == JobState.DONE, batch.job_error
    assert batch.status == BatchStatus.VALIDATED, batch.validation_errors
    assert batch.error_count == 0 and batch.validated_at is not None
    version = get_version(batch.contract_version)
    counts = {f.resource: f.row_count for f in batch.files.all()}
    assert counts == {"entrees": 2, "services": 1, "sorties": 1}
    for resource in version.resources:
        # The independent reference validator agrees: every produced file is valid.
        path = tmp_path / f"{resource}.csv"
        path.write_bytes(file_bytes(batch, resource))
        assert frictionless_errors(tmp_path, path.name, version, resource) == []
        file = batch.files.get(resource=resource)
        assert file.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert file.name == f"cep_{resource}_{month:%Y-%m}_v{version.version}_structure-{structure.pk}.csv"


def test_entry_line_carries_the_characteristics_but_no_direct_identifier(
    month_data, manager, structure, month, people
):
    batch = produce(actor=manager, month=month, structure=structure)
    entries = {r["identifiant_cep"]: r for r in rows(batch, "entrees")}
    cep_c = month_data["c"]
    c = entries[pseudonyms.cep_pseudonym(cep_c.pk)]
    assert c["identifiant_personne"] == pseudonyms.person_pseudonym(cep_c.beneficiary.person_key)
    assert c["annee_mois_naissance"] == f"{cep_c.beneficiary.birth_date:%Y-%m}"
    assert (c["rqth"], c["sexe"], c["phase_entree"], c["code_rome_vise"]) == ("true", "M", "3", "M1607")
    assert c["date_entree_phase3"] == c["date_entree"] == f"{cep_c.entry_date:%Y-%m-%d}"
    assert (c["code_region_residence"], c["code_departement_residence"]) == ("94", "2A")
    exits = rows(batch, "sorties")
    assert exits[0]["motif_sortie"] == "plan_action_realise" and exits[0]["type_projet_sortie"] == "reconversion"

    everything = b"".join(file_bytes(batch, r) for r in ("entrees", "services", "sorties"))
    assert len(people) == 4
    for person in people:
        for needle in (
            person.last_name,
            person.first_name,
            person.email,
            person.phone,
            str(person.person_key),
            person.birth_date.isoformat(),
            person.birth_date.strftime("%d/%m/%Y"),
            person.birth_date.strftime("%Y%m%d"),
        ):
            assert needle.encode() not in everything, needle
    assert b"Prescripteur" not in everything  # free text never leaves


def test_sql_pseudonym_is_the_python_hmac_stable_across_months_and_secret_dependent(
    earlier_data, manager, structure, earlier_month, month, counselor
):
    person = earlier_data["a"].beneficiary
    expected = pseudonyms.person_pseudonym(person.person_key)
    assert len(expected) == 32 and int(expected, 16) >= 0
    first = produce(actor=manager, month=earlier_month, structure=structure)
    mark_transmitted(batch=first, actor=manager)
    # Next month the same person gets a service: same pseudonym.
    from cep.offers.services import propose_offer

    propose_offer(
        beneficiary=person,
        offer=earlier_data["offer"],
        actor=counselor,
        proposed_on=month + datetime.timedelta(days=3),
        event=earlier_data["event"],
    )
    second = produce(actor=manager, month=month, structure=structure)
    in_first = {r["identifiant_personne"] for r in rows(first, "entrees")}
    in_second = {r["identifiant_personne"] for r in rows(second, "services")}
    assert expected in in_first and expected in in_second
    with override_settings(PSEUDONYM_SECRET="un-autre-deploiement"):
        other = pseudonyms.person_pseudonym(person.person_key)
        assert other != expected
        third = produce(actor=manager, month=earlier_month, structure=structure)
        assert expected not in {r["identifiant_personne"] for r in rows(third, "entrees")}
        assert other in {r["identifiant_personne"] for r in rows(third, "entrees")}


def test_regenerating_with_unchanged_data_gives_the_same_bytes(month_data, manager, structure, month):
    first = produce(actor=manager, month=month, structure=structure)
    second = produce(actor=manager, month=month, structure=structure)
    assert first.pk != second.pk and first.generated_at != second.generated_at
    assert first.sha256 == second.sha256
    for resource in ("entrees", "services", "sorties"):
        assert file_bytes(first, resource) == file_bytes(second, resource)
    diff = differences(second)
    assert diff["identical"] and diff["previous"].pk == first.pk


def test_regenerating_with_changed_data_lists_the_differences(
    month_data, manager, structure, month, counselor, cep_refs
):
    first = produce(actor=manager, month=month, structure=structure)
    ceps.modify_cep(cep=month_data["a"], actor=counselor, project_type=cep_refs["project"])
    second = produce(actor=manager, month=month, structure=structure)
    assert second.sha256 != first.sha256
    diff = differences(second)
    assert not diff["identical"]
    assert diff["counts"] == {"changed": 1}
    (item,) = diff["items"]
    assert item["resource"] == "entrees" and item["key"] == pseudonyms.cep_pseudonym(month_data["a"].pk)
    assert item["changes"] == [("type_projet", "", "reconversion")]


def test_a_change_to_a_sent_cep_goes_out_as_a_modification_next_month(
    earlier_data, manager, structure, earlier_month, month, counselor, cep_refs
):
    sent = produce(actor=manager, month=earlier_month, structure=structure)
    mark_transmitted(batch=sent, actor=manager)
    assert set(sent.lines.values_list("state", flat=True)) == {LineState.SENT}
    cep_a = earlier_data["a"]
    ceps.modify_cep(cep=cep_a, actor=counselor, request_reason=cep_refs["reason"])
    following = produce(actor=manager, month=month, structure=structure)
    assert following.status == BatchStatus.VALIDATED, following.validation_errors
    entries = rows(following, "entrees")
    line = next(r for r in entries if r["identifiant_cep"] == pseudonyms.cep_pseudonym(cep_a.pk))
    assert line["type_mouvement"] == "modification"
    assert line["motif_sollicitation"] == "prise_de_recul"
    assert line["date_entree"] == f"{cep_a.entry_date:%Y-%m-%d}"  # an earlier month's entry, corrected
    # Unchanged CEPs of the sent month are not repeated.
    assert [r["type_mouvement"] for r in entries].count("modification") == 1
    assert following.files.get(resource="entrees").modification_count == 1


def test_a_deleted_sent_cep_goes_out_as_a_suppression(
    earlier_data, manager, structure, earlier_month, month, counselor
):
    sent = produce(actor=manager, month=earlier_month, structure=structure)
    mark_transmitted(batch=sent, actor=manager)
    cep_a = earlier_data["a"]
    sent_line = sent.lines.get(resource="entrees", object_id=cep_a.pk)
    ceps.delete_cep(cep=cep_a, actor=counselor)
    following = produce(actor=manager, month=month, structure=structure)
    key = pseudonyms.cep_pseudonym(cep_a.pk)
    entry = next(r for r in rows(following, "entrees") if r["identifiant_cep"] == key)
    assert entry["type_mouvement"] == "suppression"
    service = next(r for r in rows(following, "services") if r["identifiant_cep"] == key)
    assert service["type_mouvement"] == "suppression"  # its service goes with it
    line = following.lines.get(resource="entrees", object_id=cep_a.pk)
    assert line.payload == sent_line.payload and line.movement == "suppression"
    assert following.status == BatchStatus.VALIDATED
    # Once the suppression is sent, it is not repeated.
    mark_transmitted(batch=following, actor=manager)
    again = produce(actor=manager, month=month, structure=structure)  # same month regenerated: same bytes
    assert again.sha256 == following.sha256


def test_reopened_exit_is_suppressed_and_late_entries_are_not_lost(
    earlier_data, manager, structure, earlier_month, month, counselor, cep_refs
):
    sent = produce(actor=manager, month=earlier_month, structure=structure)
    mark_transmitted(batch=sent, actor=manager)
    ceps.reopen_cep(cep=earlier_data["b"], actor=counselor)
    # A retroactive CEP entered in the sent month, recorded afterwards.
    from tests.factories import BeneficiaryFactory

    late_person = BeneficiaryFactory(
        structure=structure,
        referent=counselor,
        birth_date=datetime.date(earlier_month.year - 20, 5, 1),
        first_reception_date=earlier_month - datetime.timedelta(days=30),
    )
    late = ceps.open_cep(
        beneficiary=late_person,
        actor=counselor,
        orientation_source=cep_refs["direct"],
        entry_date=earlier_month + datetime.timedelta(days=12),
        entry_phase=2,
        request_reason=cep_refs["reason"],
    )
    following = produce(actor=manager, month=month, structure=structure)
    exits = rows(following, "sorties")
    assert [(r["identifiant_cep"], r["type_mouvement"]) for r in exits] == [
        (pseudonyms.cep_pseudonym(earlier_data["b"].pk), "suppression")
    ]
    late_line = next(
        r for r in rows(following, "entrees") if r["identifiant_cep"] == pseudonyms.cep_pseudonym(late.pk)
    )
    assert late_line["type_mouvement"] == "creation" and late_line["date_entree"] < f"{month:%Y-%m}"
    assert following.status == BatchStatus.VALIDATED


def test_automatic_exit_runs_before_the_export(structure, counselor, manager, month, cep_refs):
    from tests.factories import BeneficiaryFactory

    person = BeneficiaryFactory(
        structure=structure,
        referent=counselor,
        birth_date=datetime.date(month.year - 19, 1, 1),
        first_reception_date=add_months(month, -9),
    )
    cep = ceps.open_cep(
        beneficiary=person,
        actor=counselor,
        orientation_source=cep_refs["direct"],
        entry_date=add_months(month, -6) + datetime.timedelta(days=3),
        entry_phase=2,
        request_reason=cep_refs["reason"],
    )
    batch = produce(actor=manager, month=month, structure=structure)
    cep.refresh_from_db()
    assert cep.status == "closed" and cep.auto_closed and batch.auto_closed_count >= 1
    (line,) = rows(batch, "sorties")
    assert line["sortie_automatique"] == "true" and line["motif_sortie"] == "interruption_constatee"
    assert line["date_fin"] <= f"{add_months(month, 1) - datetime.timedelta(days=1):%Y-%m-%d}"


def test_invalid_data_blocks_the_send_with_row_and_reason(month_data, manager, structure, month):
    cep_a = month_data["a"]
    Cep.objects.filter(pk=cep_a.pk).update(orientation_source_id="opca")  # ended 2018: not in the contract
    cep_a.beneficiary.__class__.objects.filter(pk=month_data["c"].beneficiary_id).update(employment_status=None)
    batch = produce(actor=manager, month=month, structure=structure)
    assert batch.job_state == JobState.DONE
    assert batch.status == BatchStatus.GENERATED and batch.validated_at is None
    assert batch.error_count == 2
    by_field = {e["field"]: e for e in batch.validation_errors}
    assert by_field["aiguilleur"]["file"] == "entrees"
    assert "« opca » n'est pas une valeur autorisée" in by_field["aiguilleur"]["message"]
    assert by_field["situation_professionnelle"]["message"] == "Valeur obligatoire manquante."
    assert {e["row"] for e in batch.validation_errors} == {2, 3}
    with pytest.raises(RuleViolation) as err:
        mark_transmitted(batch=batch, actor=manager)
    assert "Validé" in err.value.message
    batch.refresh_from_db()
    assert batch.status == BatchStatus.GENERATED


def test_return_file_sets_line_states_and_rejected_lines_go_out_again(
    earlier_data, manager, structure, earlier_month, month
):
    sent = produce(actor=manager, month=earlier_month, structure=structure)
    with pytest.raises(RuleViolation):
        import_return_file(batch=sent, resource="entrees", content=b"1;0000;OK\n", actor=manager)
    mark_transmitted(batch=sent, actor=manager)
    content = "numero_ligne;code;message\n1;0000;Acceptée\n2;E102;Code structure inconnu\n".encode()
    result = import_return_file(batch=sent, resource="entrees", content=content, actor=manager)
    assert result == {"processed": 1, "rejected": 1}
    sent.refresh_from_db()
    assert sent.status == BatchStatus.ACKNOWLEDGED and sent.acknowledged_at is not None
    states = dict(sent.lines.filter(resource="entrees").values_list("line_number", "state"))
    assert states == {1: LineState.PROCESSED, 2: LineState.REJECTED}
    rejected = sent.lines.get(resource="entrees", line_number=2)
    assert (rejected.return_code, rejected.return_message) == ("E102", "Code structure inconnu")
    assert sent.lines.get(resource="services", line_number=1).state == LineState.SENT
    # Unknown line numbers or malformed codes refuse the whole file: nothing applied.
    for bad, reason in ((b"9;0000;\n", "lignes inconnues"), (b"1;OK;\n", "4 caractères"), (b"\xff\xfe", "UTF-8")):
        with pytest.raises(RuleViolation) as err:
            import_return_file(batch=sent, resource="entrees", content=bad, actor=manager)
        assert reason in err.value.message
    assert sent.lines.get(resource="entrees", line_number=2).state == LineState.REJECTED
    # The rejected line goes out again next month (as a creation: the receiver never accepted it).
    following = produce(actor=manager, month=month, structure=structure)
    again = following.lines.get(resource="entrees", object_id=rejected.object_id)
    assert again.movement == "creation" and again.payload == rejected.payload


def test_only_one_transmitted_batch_per_month(month_data, manager, structure, month):
    first = produce(actor=manager, month=month, structure=structure)
    second = produce(actor=manager, month=month, structure=structure)
    mark_transmitted(batch=first, actor=manager)
    with pytest.raises(RuleViolation) as err:
        mark_transmitted(batch=second, actor=manager)
    assert f"n° {first.pk}" in err.value.message


def test_month_must_be_over_and_covered_by_a_contract_version(manager, structure):
    with pytest.raises(RuleViolation) as err:
        request_export(actor=manager, month=today(), structure=structure)
    assert "n'est pas terminé" in err.value.message
    with pytest.raises(RuleViolation) as err:
        request_export(actor=manager, month=datetime.date(2019, 6, 1), structure=structure)
    assert "Aucune version du contrat" in err.value.message


def test_rights_and_scopes(month_data, manager, counselor, structure, month, refdata):
    other = StructureFactory(operator=structure.operator)
    with pytest.raises(RuleViolation) as err:
        request_export(actor=counselor, month=month, structure=structure)
    assert err.value.rule == "DROITS"
    with pytest.raises(RuleViolation):
        request_export(actor=manager, month=month, structure=other)
    with pytest.raises(RuleViolation):
        request_export(actor=manager, month=month, operator=structure.operator)
    admin = UserFactory(username="admin_national", role=Role.ADMIN, structure=None)
    batch = produce(actor=admin, month=month, operator=structure.operator)
    assert batch.scope == Scope.OPERATOR and batch.status == BatchStatus.VALIDATED
    assert batch.files.get(resource="entrees").name.endswith(f"_operateur-{structure.operator_id}.csv")
    assert batch.row_count == 4


def test_cep_monthly_command_exports_every_structure(month_data, structure, month, refdata):
    StructureFactory()
    out, err = io.StringIO(), io.StringIO()
    call_command("cep_monthly", "--month", f"{month:%Y-%m}", stdout=out, stderr=err)
    text = out.getvalue()
    assert "2 lot(s) validé(s), 0 refusé(s) par le contrôle, 0 en échec ; 4 ligne(s) au total" in text
    assert ExportLine.objects.filter(batch__structure=structure).count() == 4
    with pytest.raises(SystemExit):
        Cep.objects.filter(pk=month_data["a"].pk).update(orientation_source_id="opca")
        call_command("cep_monthly", "--month", f"{month:%Y-%m}", "--structure", str(structure.pk), stdout=out)
    assert "1 refusé(s) par le contrôle" in out.getvalue()


def test_progress_is_written_while_validating(month_data, manager, structure, month, monkeypatch):
    """Progress updates query the database between rows: they must not meet a COPY still running."""
    from cep.reporting.exports import batches

    seen = []
    original = batches._job_update

    def spy(batch, **fields):
        if "progress_done" in fields:
            seen.append(fields["progress_done"])
        original(batch, **fields)

    monkeypatch.setattr(batches, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(batches, "_job_update", spy)
    batch = produce(actor=manager, month=month, structure=structure)
    assert batch.job_state == JobState.DONE and batch.status == BatchStatus.VALIDATED
    assert (batch.progress_done, batch.progress_total) == (4, 4) and batch.progress_percent == 100
    assert seen == sorted(seen) and {1, 2, 3, 4} <= set(seen)
