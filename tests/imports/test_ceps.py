"""Import of CEPs (« Dispositifs CEP »): every imported CEP obeys R1–R12 (each refusal names its rule), the same
person is found by the identity pseudonym, re-importing changes nothing, the undo deletes the CEPs while nothing was
built on them. Each rule has a line accepted and a line refused."""

import datetime
import functools
import io

import pytest

from cep.audit.models import AuditEntry
from cep.beneficiaries.models import DossierStatus
from cep.common.errors import RuleViolation
from cep.enrolments.models import Cep
from cep.enrolments.services import close_cep
from cep.enrolments.workflow import Status as CepStatus
from cep.imports import services
from cep.imports.ceps import COLUMNS
from cep.imports.models import ImportLine, Kind, Outcome, Status
from tests.clock import today
from tests.factories import BeneficiaryFactory

HEADER = [c.name for c in COLUMNS]


def fr(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


def ago(days: int) -> str:
    return fr(today() - datetime.timedelta(days=days))


@pytest.fixture
def person(structure, counselor):
    """A « Justifié » dossier of the structure: first reception 400 days ago, 20 years old."""
    return BeneficiaryFactory(
        structure=structure,
        referent=counselor,
        last_name="Lucciardi",
        first_name="Anaïs",
        birth_date=datetime.date(today().year - 20, 3, 14),
    )


@pytest.fixture
def open_for(counselor, cep_refs):
    """Open a CEP in phase 2 for `person` through the service, `days` ago."""
    from cep.enrolments.services import open_cep

    def make(person, days: int):
        return open_cep(
            beneficiary=person,
            actor=counselor,
            orientation_source=cep_refs["direct"],
            entry_date=today() - datetime.timedelta(days=days),
            entry_phase=2,
            request_reason=cep_refs["reason"],
        )

    return make


def line(person, **values) -> list[str]:
    base = {
        "nom": person.last_name.upper(),
        "prenom": person.first_name.lower(),
        "sexe": person.sex,
        "date_naissance": fr(person.birth_date),
        "aiguilleur": "ma_structure_entree_directe",
        "date_entree": ago(100),
        "phase_entree": "2",
        "motif_sollicitation": "prise_de_recul",
    }
    base.update(values)
    return [base.get(name, "") for name in HEADER]


def csv_bytes(rows, header=HEADER) -> bytes:
    return ("\r\n".join(";".join(r) for r in [header, *rows]) + "\r\n").encode("utf-8")


def check(actor, rows, **kwargs):
    return services.check_file(
        actor=actor, file=io.BytesIO(csv_bytes(rows, **kwargs)), name="ceps.csv", kind=Kind.CEPS
    )


def apply_now(batch, actor):
    services.confirm(batch=batch, actor=actor, encoding_confirmed=True, run=False)
    return services.apply(batch.pk)


def lines(batch) -> dict[int, ImportLine]:
    return {x.line_number: x for x in ImportLine.objects.filter(batch=batch)}


def refusal(batch, number: int = 2) -> tuple[str, str]:
    found = lines(batch)[number]
    assert found.outcome == Outcome.REFUSED, found.outcome
    return found.errors[0]["rule"], found.errors[0]["column"]


def accepted(batch, number: int = 2) -> bool:
    return lines(batch)[number].outcome == Outcome.CREATE


# --- the path: check, apply, re-import, undo ---


def test_the_check_writes_no_cep(importer, person):
    batch = check(importer, [line(person)])
    assert (batch.kind, batch.line_count, batch.create_count) == (Kind.CEPS, 1, 1)
    assert not Cep.objects.exists()


def test_apply_creates_the_cep_with_its_audit_and_r9_clock(importer, person, structure):
    batch = apply_now(check(importer, [line(person, nom_prescripteur="Dr Who")]), importer)
    assert batch.status == Status.APPLIED, batch.job_error
    assert (batch.progress_done, batch.progress_total, batch.job_step) == (1, 1, "Terminé")
    cep = Cep.objects.get()
    assert (cep.beneficiary_id, cep.structure_id, cep.status) == (person.pk, structure.pk, CepStatus.PHASE2)
    assert cep.entry_date == today() - datetime.timedelta(days=100) == cep.phase2_entry_date
    assert cep.last_manifestation_date == cep.entry_date
    assert cep.identity_pseudonym == person.identity_pseudonym
    assert cep.prescriber_name == "Dr Who" and cep.created_by == importer
    entry = AuditEntry.objects.get(action="import_create_cep")
    assert (entry.object_type, entry.object_id, entry.beneficiary_id) == ("cep", cep.pk, person.pk)
    assert entry.before is None and entry.after["status"] == "phase2"


def test_a_closed_cep_moved_to_phase3(importer, person):
    row = line(person, date_passage_phase3=ago(50), date_fin=ago(10), motif_sortie="Interruption formalisée")
    apply_now(check(importer, [row]), importer)
    cep = Cep.objects.get()
    assert cep.status == CepStatus.CLOSED and cep.ended_in_phase == 3
    assert cep.phase3_entry_date == today() - datetime.timedelta(days=50)
    assert cep.phase2_end_date == today() - datetime.timedelta(days=51)
    assert cep.end_date == today() - datetime.timedelta(days=10) and cep.exit_reason_id == "interruption_formalisee"


def test_reimporting_the_same_file_changes_nothing(importer, person):
    rows = [
        line(person, date_entree=ago(300), date_fin=ago(250), motif_sortie="demenagement"),
        line(person, date_entree=ago(100), phase_entree="3"),
    ]
    apply_now(check(importer, rows), importer)
    snapshot = list(Cep.objects.order_by("id").values())
    again = check(importer, rows)
    assert {x.outcome for x in lines(again).values()} == {Outcome.UNCHANGED}
    with pytest.raises(RuleViolation) as err:
        services.confirm(batch=again, actor=importer, encoding_confirmed=True, run=False)
    assert err.value.rule == "IMPORT"
    assert list(Cep.objects.order_by("id").values()) == snapshot


def test_r7_a_different_cep_on_the_same_entry_date_is_refused(importer, person):
    apply_now(check(importer, [line(person)]), importer)
    batch = check(importer, [line(person, motif_sollicitation="reconversion")])
    assert refusal(batch) == ("R7", "date_entree")


def test_the_refused_lines_file_names_the_rule(importer, person):
    from cep.imports.queries import refused_csv

    batch = check(importer, [line(person, phase_entree="4")])
    text = b"".join(refused_csv(batch)).decode("utf-8-sig")
    assert "2;phase_entree;R3;L'entrée se fait en phase 2 ou directement en phase 3." in text


def test_undo_deletes_the_ceps_and_audits_it(importer, person):
    batch = apply_now(check(importer, [line(person)]), importer)
    cep_id = Cep.objects.get().pk
    services.undo(batch=batch, actor=importer, run=False)
    services.perform_undo(batch.pk)  # the worker's job (the test's transaction never commits)
    assert not Cep.objects.exists()
    assert AuditEntry.objects.filter(action="undo_import_create_cep", object_id=cep_id).exists()


def test_undo_is_refused_once_the_cep_was_changed(importer, person, counselor, cep_refs):
    batch = apply_now(check(importer, [line(person)]), importer)
    close_cep(cep=Cep.objects.get(), actor=counselor, end_date=today(), exit_reason=cep_refs["formalised"])
    with pytest.raises(RuleViolation) as err:
        services.undo(batch=batch, actor=importer)
    assert err.value.rule == "IMPORT_ANNULATION"
    assert Cep.objects.exists()


def test_apply_fails_whole_when_a_cep_was_opened_since_the_check(importer, person, open_for):
    other = BeneficiaryFactory(structure=person.structure, first_name="Zoé", birth_date=person.birth_date)
    batch = check(importer, [line(person), line(other)])
    assert batch.create_count == 2
    open_for(person, 0)
    batch = apply_now(batch, importer)
    assert batch.status == Status.FAILED and "ligne 2" in batch.job_error
    assert Cep.objects.count() == 1


# --- matching the dossier ---


def test_dossier_an_unknown_person_is_refused(importer, person):
    batch = check(importer, [line(person, prenom="Inconnue")])
    assert refusal(batch) == ("DOSSIER", "nom")


def test_dossier_another_structures_person_is_not_matched(importer, other_structure):
    elsewhere = BeneficiaryFactory(structure=other_structure)
    assert refusal(check(importer, [line(elsewhere)])) == ("DOSSIER", "nom")


def test_dossier_a_person_with_two_dossiers_is_refused(importer, person):
    BeneficiaryFactory(
        structure=person.structure,
        last_name=person.last_name,
        first_name=person.first_name,
        birth_date=person.birth_date,
    )
    assert refusal(check(importer, [line(person)])) == ("DOSSIER", "nom")


def test_conservation_an_anonymised_dossier_takes_no_cep(importer, person):
    from django.utils import timezone

    type(person).objects.filter(pk=person.pk).update(anonymised_at=timezone.now())
    assert refusal(check(importer, [line(person)])) == ("CONSERVATION", "")


def test_the_same_cep_twice_in_the_file_is_a_duplicate(importer, person):
    batch = check(importer, [line(person), line(person, nom_referent="X")])
    assert (lines(batch)[2].outcome, lines(batch)[3].outcome) == (Outcome.CREATE, Outcome.DUPLICATE)
    assert lines(batch)[3].duplicate_of == 2


# --- the rules, each accepted and refused ---


def test_r1_a_justified_dossier_is_accepted(importer, person):
    assert accepted(check(importer, [line(person)]))


def test_r1_an_incomplete_dossier_is_refused(importer, person):
    type(person).objects.filter(pk=person.pk).update(status=DossierStatus.INCOMPLETE)
    assert refusal(check(importer, [line(person)]))[0] == "R1"


def test_r2_a_closed_cep_beside_one_in_progress_is_accepted(importer, person, open_for):
    open_for(person, 10)
    row = line(person, date_entree=ago(200), date_fin=ago(150), motif_sortie="demenagement")
    assert accepted(check(importer, [row]))


def test_r2_a_second_cep_in_progress_is_refused(importer, person, open_for):
    open_for(person, 10)
    assert refusal(check(importer, [line(person)])) == ("R2", "date_fin")


def test_r2_two_ceps_in_progress_in_the_file_refuse_the_second(importer, person):
    batch = check(importer, [line(person, date_entree=ago(200)), line(person, date_entree=ago(100))])
    assert accepted(batch, 2)
    assert refusal(batch, 3) == ("R2", "date_fin")


def full_refusal(batch, number: int = 2) -> dict:
    found = lines(batch)[number]
    assert found.outcome == Outcome.REFUSED, found.outcome
    return found.errors[0]


def closed_line(person, entry: int, end: int, **values) -> list[str]:
    return line(person, date_entree=ago(entry), date_fin=ago(end), motif_sortie="demenagement", **values)


def test_r2_a_cep_starting_the_day_an_existing_one_closed_is_accepted(importer, person, open_for, counselor, cep_refs):
    close_cep(
        cep=open_for(person, 200),
        actor=counselor,
        end_date=today() - datetime.timedelta(days=150),
        exit_reason=cep_refs["formalised"],
    )
    batch = check(importer, [closed_line(person, 150, 100), line(person, date_entree=ago(100))])
    assert accepted(batch, 2) and accepted(batch, 3)
    assert apply_now(batch, importer).status == Status.APPLIED
    assert Cep.objects.filter(beneficiary=person).count() == 3


def test_r2_a_line_overlapping_an_existing_cep_is_refused(importer, person, open_for, counselor, cep_refs):
    close_cep(
        cep=open_for(person, 200),
        actor=counselor,
        end_date=today() - datetime.timedelta(days=150),
        exit_reason=cep_refs["formalised"],
    )
    batch = check(importer, [closed_line(person, 160, 100)])
    error = full_refusal(batch)
    assert (error["rule"], error["column"]) == ("R2", "date_entree")
    assert error["message"] == (
        f"Le CEP précédent de cette personne dans la structure s'est terminé le {ago(150)} : le nouveau commence au "
        "plus tôt ce jour-là."
    )


def test_r2_a_closed_line_overlapping_a_cep_in_progress_is_refused(importer, person, open_for):
    open_for(person, 100)
    error = full_refusal(check(importer, [closed_line(person, 200, 99)]))
    assert (error["rule"], error["column"]) == ("R2", "date_fin")
    assert ago(100) in error["message"]


def test_r2_two_overlapping_lines_in_one_file_refuse_the_second(importer, person):
    batch = check(importer, [closed_line(person, 200, 100), closed_line(person, 150, 50)])
    assert accepted(batch, 2)
    error = full_refusal(batch, 3)
    assert (error["rule"], error["column"]) == ("R2", "date_entree")
    assert ago(100) in error["message"] and "ligne 2 du fichier" in error["message"]


def test_r2_successive_lines_in_one_file_are_accepted(importer, person):
    other = BeneficiaryFactory(structure=person.structure, first_name="Zoé", birth_date=person.birth_date)
    rows = [closed_line(person, 200, 100), closed_line(other, 300, 10), closed_line(person, 100, 50)]
    batch = check(importer, rows)
    assert accepted(batch, 2) and accepted(batch, 3) and accepted(batch, 4)


def test_r2_apply_fails_whole_when_an_overlapping_cep_was_opened_since_the_check(importer, person, open_for):
    batch = check(importer, [closed_line(person, 200, 100)])
    assert batch.create_count == 1
    open_for(person, 150)
    batch = apply_now(batch, importer)
    assert batch.status == Status.FAILED and "ligne 2" in batch.job_error
    assert Cep.objects.filter(beneficiary=person).count() == 1


def test_r3_entry_in_phase_3_is_accepted(importer, person):
    assert accepted(check(importer, [line(person, phase_entree="3")]))


def test_r3_entry_in_phase_4_is_refused(importer, person):
    assert refusal(check(importer, [line(person, phase_entree="4")])) == ("R3", "phase_entree")


def test_r4_entry_on_the_first_reception_day_is_accepted(importer, person):
    assert accepted(check(importer, [line(person, date_entree=fr(person.first_reception_date))]))


def test_r4_entry_before_the_first_reception_is_refused(importer, person):
    day = person.first_reception_date - datetime.timedelta(days=1)
    assert refusal(check(importer, [line(person, date_entree=fr(day))])) == ("R4", "date_entree")


def test_r4_entry_in_the_future_is_refused(importer, person):
    assert refusal(check(importer, [line(person, date_entree=ago(-1))])) == ("R4", "date_entree")


def test_r4_interview_after_entry_is_refused(importer, person):
    row = line(person, date_entretien_initialisation=ago(99))
    assert refusal(check(importer, [row])) == ("R4", "date_entretien_initialisation")
    assert accepted(check(importer, [line(person, date_entretien_initialisation=ago(100))]))


def test_r5_phase3_the_day_after_entry_is_accepted(importer, person):
    apply_now(check(importer, [line(person, date_passage_phase3=ago(99))]), importer)
    assert Cep.objects.get().status == CepStatus.PHASE3


def test_r5_phase3_on_the_entry_day_is_refused(importer, person):
    assert refusal(check(importer, [line(person, date_passage_phase3=ago(100))])) == ("R5", "date_passage_phase3")


def test_r5_phase3_date_on_a_direct_phase3_entry_is_refused(importer, person):
    row = line(person, phase_entree="3", date_passage_phase3=ago(50))
    assert refusal(check(importer, [row])) == ("R5", "date_passage_phase3")


def test_r6_phase3_is_refused_where_the_structure_does_not_distinguish_phases(importer, person, structure):
    type(structure).objects.filter(pk=structure.pk).update(distinguishes_phases=False)
    assert refusal(check(importer, [line(person, phase_entree="3")])) == ("R6", "phase_entree")
    assert refusal(check(importer, [line(person, date_passage_phase3=ago(50))])) == ("R6", "date_passage_phase3")
    assert accepted(check(importer, [line(person)]))


def test_r8_a_closed_cep_is_accepted(importer, person):
    assert accepted(check(importer, [line(person, date_fin=ago(1), motif_sortie="demenagement")]))


def test_r8_an_end_date_without_exit_reason_is_refused(importer, person):
    assert refusal(check(importer, [line(person, date_fin=ago(1))])) == ("R8", "motif_sortie")


def test_r8_an_exit_reason_without_end_date_is_refused(importer, person):
    assert refusal(check(importer, [line(person, motif_sortie="demenagement")])) == ("R8", "date_fin")


def test_r8_an_end_date_in_the_future_is_refused(importer, person):
    assert refusal(check(importer, [line(person, date_fin=ago(-1), motif_sortie="demenagement")])) == (
        "R8",
        "date_fin",
    )


def test_r8_an_end_before_the_phase3_entry_is_refused(importer, person):
    row = line(person, date_passage_phase3=ago(50), date_fin=ago(60), motif_sortie="demenagement")
    assert refusal(check(importer, [row])) == ("R8", "date_fin")


def test_r8_plan_action_realise_needs_the_project_type(importer, person):
    row = line(person, date_fin=ago(1), motif_sortie="plan_action_realise")
    assert refusal(check(importer, [row])) == ("R8", "type_projet")
    assert accepted(
        check(
            importer, [line(person, date_fin=ago(1), motif_sortie="plan_action_realise", type_projet="reconversion")]
        )
    )


def test_aiguilleur_suite_niveau1_needs_a_level1_service(importer, person, cep_offer, counselor, event_refs):
    row = line(person, aiguilleur="ma_structure_suite_niveau1")
    assert refusal(check(importer, [row])) == ("AIGUILLEUR", "aiguilleur")
    from cep.offers.services import propose_offer

    day = today() - datetime.timedelta(days=150)
    propose_offer(beneficiary=person, offer=cep_offer, actor=counselor, proposed_on=day, event=dict(event_refs))
    assert accepted(check(importer, [row]))


def test_eligibilite_a_person_too_old_for_the_network_is_refused(importer, person):
    assert accepted(check(importer, [line(person)]))
    person.birth_date = datetime.date(today().year - 40, 3, 14)
    person.save()  # the pseudonym follows the birth date
    assert refusal(check(importer, [line(person)]))[0] == "ELIGIBILITE"


def test_referentiel_an_unknown_code_and_an_expired_one_are_refused(importer, person):
    assert refusal(check(importer, [line(person, aiguilleur="inconnu")])) == ("REFERENTIEL", "aiguilleur")
    assert refusal(check(importer, [line(person, aiguilleur="opca")])) == ("REFERENTIEL", "aiguilleur")


def test_saisie_a_missing_entry_date_and_a_bad_date_are_refused(importer, person):
    assert refusal(check(importer, [line(person, date_entree="")])) == ("SAISIE", "date_entree")
    assert refusal(check(importer, [line(person, date_fin="31/02/2025", motif_sortie="deces")])) == (
        "SAISIE",
        "date_fin",
    )


def test_import_a_missing_required_column_refuses_the_file(importer, person):
    header = [h for h in HEADER if h != "date_entree"]
    with pytest.raises(RuleViolation) as err:
        services.check_file(
            actor=importer, file=io.BytesIO(csv_bytes([], header=header)), name="c.csv", kind=Kind.CEPS
        )
    assert err.value.rule == "IMPORT" and "date_entree" in err.value.message


# --- double accompaniment: a warning, never a refusal (cep/enrolments/overlaps.py) ---


def dossier_elsewhere(person, network: str = "apec", name: str = "APEC Corse", **dossier):
    """The person's dossier in another structure (APEC), typed otherwise: same identity pseudonym. Returns the
    structure, its counselor and the dossier."""
    from cep.accounts.rights import Role
    from tests.factories import OperatorFactory, StructureFactory, UserFactory

    other = StructureFactory(operator=OperatorFactory(network_id=network), name=name)
    counselor = UserFactory(username=f"cons_{network}", role=Role.COUNSELOR, structure=other)
    identity = {"last_name": person.last_name.upper(), "first_name": person.first_name}
    twin = BeneficiaryFactory(
        structure=other,
        referent=counselor,
        birth_date=person.birth_date,
        sex=person.sex,
        **{**identity, **dossier},
    )
    return other, counselor, twin


def cep_elsewhere(person, cep_refs, network: str = "apec", name: str = "APEC Corse", **dossier) -> Cep:
    """A CEP in progress for the person in another structure, opened through the service (the API and pages tests
    of the double-accompaniment warning use it too)."""
    from cep.enrolments.services import open_cep

    other, counselor, twin = dossier_elsewhere(person, network, name, **dossier)
    return open_cep(
        beneficiary=twin,
        actor=counselor,
        orientation_source=cep_refs["direct"],
        entry_date=today() - datetime.timedelta(days=30),
        entry_phase=2,
        request_reason=cep_refs["reason"],
    )


@pytest.fixture
def elsewhere(refdata, person):
    return functools.partial(dossier_elsewhere, person)


@pytest.fixture
def open_elsewhere(refdata, person, cep_refs):
    return functools.partial(cep_elsewhere, person, cep_refs)


def warnings(batch, number: int = 2):
    return lines(batch)[number].warnings


def test_overlap_a_cep_in_progress_elsewhere_is_accepted_with_a_warning(importer, person, open_elsewhere):
    other = open_elsewhere()
    closed = line(person, date_entree=ago(300), date_fin=ago(200), motif_sortie="demenagement")
    batch = check(importer, [line(person), closed])
    assert accepted(batch, 2) and accepted(batch, 3)  # a warning, never a refusal
    assert (batch.create_count, batch.refused_count, batch.warning_count) == (2, 0, 1)
    network = other.structure.network.label
    assert warnings(batch) == [
        {
            "column": "",
            "rule": "DOUBLE_ACCOMPAGNEMENT",
            "message": f"Attention : cette personne a aussi un CEP en cours dans une autre structure ({network} – "
            "APEC Corse). Vérifiez avec elle qu'il ne s'agit pas d'un double accompagnement ; le conseiller de "
            "l'autre structure en est averti.",
            "elsewhere": [{"network": network, "structure": "APEC Corse"}],
        }
    ]
    assert warnings(batch, 3) is None  # the closed CEP of the file is no double accompaniment


def test_overlap_every_other_structure_is_named_once_in_one_warning(importer, person, open_elsewhere):
    open_elsewhere("apec", "APEC Corse")
    open_elsewhere("cap_emploi", "Cap emploi Corse-du-Sud")
    (warning,) = warnings(check(importer, [line(person)]))
    assert [e["structure"] for e in warning["elsewhere"]] == ["APEC Corse", "Cap emploi Corse-du-Sud"]
    places = " ; ".join(f"{e['network']} – {e['structure']}" for e in warning["elsewhere"])
    assert f"autre structure ({places})." in warning["message"]


def test_overlap_the_france_travail_exception_is_not_warned(importer, person, open_elsewhere):
    """A job seeker registered at France Travail, followed there, while the structure delivers the CEP ([002]
    §3.2.1): the exception of the national report, read from France Travail's dossier."""
    open_elsewhere("france_travail", "France Travail Ajaccio")  # factory: demandeur d'emploi non indemnisé
    batch = check(importer, [line(person)])
    assert accepted(batch) and warnings(batch) is None and batch.warning_count == 0


def test_overlap_france_travail_for_someone_not_registered_is_warned(importer, person, open_elsewhere):
    from cep.referentials.models import EmploymentStatus

    employed = EmploymentStatus.objects.get(code="salarie_prive_temps_complet")
    open_elsewhere("france_travail", "France Travail Ajaccio", employment_status=employed)
    (warning,) = warnings(check(importer, [line(person)]))
    assert warning["elsewhere"][0]["structure"] == "France Travail Ajaccio"


def test_overlap_a_closed_cep_elsewhere_is_not_warned(importer, person, open_elsewhere, cep_refs):
    other = open_elsewhere()
    close_cep(cep=other, actor=other.created_by, end_date=today(), exit_reason=cep_refs["formalised"])
    batch = check(importer, [line(person)])
    assert accepted(batch) and warnings(batch) is None and batch.warning_count == 0


def test_overlap_a_cep_of_the_same_structure_is_no_warning(importer, person, open_for, elsewhere):
    """Another dossier of the person elsewhere, without a CEP in progress: nothing; the person's CEP in progress in
    the structure itself is R2's business (refused), never a double accompaniment."""
    elsewhere()
    assert warnings(check(importer, [line(person)])) is None
    open_for(person, 10)
    batch = check(importer, [line(person)])
    assert refusal(batch) == ("R2", "date_fin") and warnings(batch) is None and batch.warning_count == 0


def test_overlap_another_person_elsewhere_is_not_warned(importer, person, open_elsewhere):
    open_elsewhere(first_name="Anaëlle")
    assert warnings(check(importer, [line(person)])) is None


def test_overlap_once_applied_the_national_report_and_the_dispositifs_page_show_it(
    client, importer, person, counselor, open_elsewhere
):
    from django.urls import reverse

    from cep.enrolments import overlaps

    other = open_elsewhere()
    batch = check(importer, [line(person)])
    assert apply_now(batch, importer).status == Status.APPLIED
    imported = Cep.objects.get(structure=person.structure)
    assert imported.identity_pseudonym == other.identity_pseudonym != ""
    # The national report: the pair of structures, pseudonym and codes only.
    (row,) = overlaps.national_overlaps()
    first, second = sorted([other, imported], key=lambda c: c.structure_id)
    assert row[:3] == (imported.identity_pseudonym, str(first.structure_id), first.structure.network_id)
    assert row[4:6] == (str(second.structure_id), second.structure.network_id)
    # The words of the check are those of the CEP once imported.
    assert warnings(batch)[0]["message"] == overlaps.warning(overlaps.elsewhere(imported))
    # The Dispositifs page of the imported CEP warns, naming the other structure's network and name only.
    client.force_login(counselor)
    page = client.get(reverse("web:dispositifs", args=[person.pk])).content.decode()
    assert f'id="cep-{imported.pk}-double"' in page and "Double accompagnement possible" in page
    assert "APEC Corse" in page
    # And the other structure's counselor sees it on the home page.
    client.force_login(other.created_by)
    home = client.get(reverse("web:home")).content.decode()
    assert "Double accompagnement possible" in home and person.structure.name in home
