"""SQL checks of the rules on a whole base (PostgreSQL): each query counts the rows that break a rule.

Used by the tests of the generator and by bench/run.py after a large load; `violations()` must be all zeros.
"""

from django.db import connection

from cep.common.dates import add_months, today
from cep.events.queries import MANIFESTATION_SQL

OPEN = "('phase2', 'phase3')"

VIOLATIONS = {
    "R2 plus d'un CEP en cours par personne et structure": f"""
        SELECT count(*) FROM (SELECT 1 FROM enrolments_cep WHERE status IN {OPEN}
        GROUP BY beneficiary_id, structure_id HAVING count(*) > 1) d""",
    "R2 CEP successifs qui se chevauchent (même personne, même structure)": """
        SELECT count(*) FROM enrolments_cep a JOIN enrolments_cep b ON b.beneficiary_id = a.beneficiary_id
        AND b.structure_id = a.structure_id AND b.id > a.id
        WHERE a.status <> 'deleted' AND b.status <> 'deleted'
        AND a.entry_date < COALESCE(b.end_date, 'infinity'::date)
        AND b.entry_date < COALESCE(a.end_date, 'infinity'::date)""",
    "pseudonyme d'identité manquant ou différent de celui du dossier": """
        SELECT count(*) FROM beneficiaries_beneficiary b LEFT JOIN enrolments_cep c ON c.beneficiary_id = b.id
        WHERE b.identity_pseudonym !~ '^[0-9a-f]{32}$' OR c.identity_pseudonym <> b.identity_pseudonym""",
    "R1 CEP sur un dossier non justifié": """
        SELECT count(*) FROM enrolments_cep c JOIN beneficiaries_beneficiary b ON b.id = c.beneficiary_id
        WHERE b.status <> 'justified'""",
    "CEP d'une autre structure que le dossier": """
        SELECT count(*) FROM enrolments_cep c JOIN beneficiaries_beneficiary b ON b.id = c.beneficiary_id
        WHERE b.structure_id <> c.structure_id""",
    "R4 entrée avant le premier accueil": """
        SELECT count(*) FROM enrolments_cep c JOIN beneficiaries_beneficiary b ON b.id = c.beneficiary_id
        WHERE c.entry_date < b.first_reception_date""",
    "R4 entretien après l'entrée": "SELECT count(*) FROM enrolments_cep WHERE initial_interview_date > entry_date",
    "entrée dans le futur": "SELECT count(*) FROM enrolments_cep WHERE entry_date > %(today)s",
    "R5 phase 3 pas après l'entrée en phase 2": """
        SELECT count(*) FROM enrolments_cep WHERE phase3_entry_date <= phase2_entry_date""",
    "R5 fin de phase 2 ≠ veille de la phase 3": """
        SELECT count(*) FROM enrolments_cep WHERE phase2_entry_date IS NOT NULL AND phase3_entry_date IS NOT NULL
        AND phase2_end_date IS DISTINCT FROM phase3_entry_date - 1""",
    "phase d'entrée incohérente": """
        SELECT count(*) FROM enrolments_cep WHERE (entry_phase = 2 AND phase2_entry_date IS DISTINCT FROM entry_date)
        OR (entry_phase = 3 AND (phase3_entry_date IS DISTINCT FROM entry_date OR phase2_entry_date IS NOT NULL))""",
    "R8 clôturé sans fin, motif ou phase": """
        SELECT count(*) FROM enrolments_cep WHERE status = 'closed'
        AND (end_date IS NULL OR exit_reason_id IS NULL OR ended_in_phase IS NULL)""",
    "R8 fin avant l'entrée de la phase en cours": """
        SELECT count(*) FROM enrolments_cep WHERE status = 'closed'
        AND end_date < CASE WHEN ended_in_phase = 3 THEN phase3_entry_date ELSE phase2_entry_date END""",
    "R8 fin dans le futur": "SELECT count(*) FROM enrolments_cep WHERE end_date > %(today)s",
    "R8 « Plan d'action réalisé » sans type de projet": """
        SELECT count(*) FROM enrolments_cep
        WHERE exit_reason_id = 'plan_action_realise' AND project_type_id IS NULL""",
    "CEP en cours avec une sortie": f"""
        SELECT count(*) FROM enrolments_cep WHERE status IN {OPEN}
        AND (end_date IS NOT NULL OR exit_reason_id IS NOT NULL OR ended_in_phase IS NOT NULL OR auto_closed)""",
    "R9 sortie automatique mal datée": """
        SELECT count(*) FROM enrolments_cep WHERE auto_closed AND (status <> 'closed'
        OR exit_reason_id <> 'interruption_constatee'
        OR end_date <> GREATEST((last_manifestation_date + INTERVAL '6 months')::date,
                                CASE WHEN ended_in_phase = 3 THEN phase3_entry_date ELSE phase2_entry_date END))""",
    "R9 CEP en cours sans manifestation depuis 6 mois": f"""
        SELECT count(*) FROM enrolments_cep WHERE status IN {OPEN} AND last_manifestation_date <= %(cutoff)s""",
    "R9 dernière manifestation ≠ dernière manifestation de la personne depuis l'entrée": f"""
        SELECT count(*) FROM enrolments_cep c WHERE c.status IN ('phase2', 'phase3', 'closed')
        AND c.last_manifestation_date IS DISTINCT FROM GREATEST(c.entry_date, c.reopened_on, (
            SELECT max(e.date) FROM events_event e WHERE e.beneficiary_id = c.beneficiary_id
            AND e.structure_id = c.structure_id AND {MANIFESTATION_SQL} AND e.date >= c.entry_date
            AND (c.status IN {OPEN} OR e.date <= c.end_date)))""",
    "R11 CEP supprimé sans événement « Suppression de dispositif »": """
        SELECT count(*) FROM enrolments_cep c WHERE c.status = 'deleted' AND NOT EXISTS (
            SELECT 1 FROM events_event e WHERE e.beneficiary_id = c.beneficiary_id AND e.is_system
            AND e.primary_context_id = 'suppression_dispositif' AND e.date >= c.entry_date)""",
    "R12 CEP sans historique d'ouverture": """
        SELECT count(*) FROM enrolments_cep c WHERE NOT EXISTS (SELECT 1 FROM audit_auditentry a
        WHERE a.object_type = 'cep' AND a.object_id = c.id AND a.action = 'open')""",
    "aiguilleur « suite niveau 1 » sans service de niveau 1": """
        SELECT count(*) FROM enrolments_cep c WHERE c.orientation_source_id = 'ma_structure_suite_niveau1'
        AND NOT EXISTS (SELECT 1 FROM offers_service s WHERE s.beneficiary_id = c.beneficiary_id
            AND s.structure_id = c.structure_id AND s.is_cep_level1 AND s.proposed_on <= c.entry_date)""",
    "Mission locale hors 16–25 ans": """
        SELECT count(*) FROM beneficiaries_beneficiary b JOIN organisations_structure s ON s.id = b.structure_id
        WHERE s.network_id = 'ml' AND (b.first_reception_date < b.birth_date + INTERVAL '16 years'
            OR %(today)s >= b.birth_date + INTERVAL '26 years')""",
    "agent public chez un opérateur régional": """
        SELECT count(*) FROM beneficiaries_beneficiary b JOIN organisations_structure s ON s.id = b.structure_id
        JOIN referentials_employmentstatus st ON st.code = b.employment_status_id
        WHERE s.network_id = 'operateur_regional' AND st.is_public_agent""",
    "étudiant ou retraité sans emploi ni recherche": """
        SELECT count(*) FROM beneficiaries_beneficiary b
        JOIN referentials_employmentstatus st ON st.code = b.employment_status_id
        WHERE st.requires_job_holding_or_seeking AND NOT b.holds_or_seeks_job""",
    "commune hors du département du dossier": """
        SELECT count(*) FROM beneficiaries_beneficiary b JOIN organisations_commune c ON c.code = b.commune_id
        JOIN organisations_department d ON d.code = c.department_id
        WHERE b.department_id <> c.department_id OR b.region_id <> d.region_id""",
    "recherche : nom normalisé absent": "SELECT count(*) FROM beneficiaries_beneficiary WHERE search_name = ''",
    "recherche : mots du nom manquants ou en trop": """
        SELECT count(*) FROM (
            (SELECT b.structure_id, word, b.id, b.search_name FROM beneficiaries_beneficiary b,
                    LATERAL cep_search_words(b.search_name, b.phone) AS word
             EXCEPT SELECT structure_id, word, beneficiary_id, search_name FROM beneficiaries_nameword)
            UNION ALL
            (SELECT structure_id, word, beneficiary_id, search_name FROM beneficiaries_nameword
             EXCEPT SELECT b.structure_id, word, b.id, b.search_name FROM beneficiaries_beneficiary b,
                    LATERAL cep_search_words(b.search_name, b.phone) AS word)) d""",
    "événement dans le futur": "SELECT count(*) FROM events_event WHERE date > %(today)s",
    "intervenant d'une autre structure": """
        SELECT count(*) FROM events_event e JOIN accounts_user u ON u.id = e.intervener_id
        WHERE u.structure_id IS DISTINCT FROM e.structure_id""",
    "contextes d'événement répétés": """
        SELECT count(*) FROM events_event WHERE tertiary_context_id IN (primary_context_id, secondary_context_id)""",
    "indicateur CEP de l'événement faux": """
        SELECT count(*) FROM events_event WHERE is_cep <> ('cep' IN (primary_context_id,
            coalesce(secondary_context_id, ''), coalesce(tertiary_context_id, '')))""",
    "service d'un CEP d'un autre dossier": """
        SELECT count(*) FROM offers_service s JOIN enrolments_cep c ON c.id = s.cep_id
        WHERE c.beneficiary_id <> s.beneficiary_id OR s.proposed_on < c.entry_date""",
    "service et événement de dates différentes": """
        SELECT count(*) FROM offers_service s JOIN events_event e ON e.id = s.event_id
        WHERE e.date <> s.proposed_on OR e.beneficiary_id <> s.beneficiary_id""",
}

COVERAGE = {
    "networks": "SELECT count(DISTINCT s.network_id) FROM beneficiaries_beneficiary b "
    "JOIN organisations_structure s ON s.id = b.structure_id",
    "regions": "SELECT count(DISTINCT region_id) FROM beneficiaries_beneficiary",
    "beneficiaries": "SELECT count(*) FROM beneficiaries_beneficiary",
    "justified": "SELECT count(*) FROM beneficiaries_beneficiary WHERE status = 'justified'",
    "rqth": "SELECT count(*) FROM beneficiaries_beneficiary WHERE has_rqth",
    "events": "SELECT count(*) FROM events_event",
    "phase2": "SELECT count(*) FROM enrolments_cep WHERE status = 'phase2'",
    "phase3": "SELECT count(*) FROM enrolments_cep WHERE status = 'phase3'",
    "phase3_moved": "SELECT count(*) FROM enrolments_cep WHERE status = 'phase3' AND phase2_end_date IS NOT NULL",
    "phase3_direct": "SELECT count(*) FROM enrolments_cep WHERE entry_phase = 3",
    "closed": "SELECT count(*) FROM enrolments_cep WHERE status = 'closed' AND NOT auto_closed",
    "auto_closed": "SELECT count(*) FROM enrolments_cep WHERE auto_closed",
    "deleted": "SELECT count(*) FROM enrolments_cep WHERE status = 'deleted'",
    "reopened": "SELECT count(DISTINCT object_id) FROM audit_auditentry "
    "WHERE object_type = 'cep' AND action = 'reopen'",
    "exit_reasons": "SELECT count(DISTINCT exit_reason_id) FROM enrolments_cep WHERE status = 'closed'",
    "about_to_close": f"SELECT count(*) FROM enrolments_cep WHERE status IN {OPEN} "
    "AND last_manifestation_date BETWEEN %(cutoff)s AND %(cutoff5)s",
    "successive": "SELECT count(*) FROM (SELECT beneficiary_id FROM enrolments_cep GROUP BY 1 HAVING count(*) > 1) s",
    "cep_events": "SELECT count(*) FROM events_event WHERE is_cep",
    "not_manifestations": f"SELECT count(*) FROM events_event e WHERE NOT {MANIFESTATION_SQL}",
    "remote_events": "SELECT count(*) FROM events_event WHERE delivery_mode = 'a_distance'",
    "collective_events": "SELECT count(*) FROM events_event WHERE group_mode = 'collectif'",
    "level1_services": "SELECT count(*) FROM offers_service WHERE is_cep_level1",
    "cep_services": "SELECT count(*) FROM offers_service WHERE cep_id IS NOT NULL",
    "open_audit": "SELECT count(*) FROM audit_auditentry WHERE object_type = 'cep' AND action = 'open'",
}


def _params():
    day = today()
    return {"today": day, "cutoff": add_months(day, -6), "cutoff5": add_months(day, -5)}


def _run(queries: dict) -> dict[str, int]:
    params = _params()
    results = {}
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql, params)
            results[name] = cursor.fetchone()[0]
    return results


def violations() -> dict[str, int]:
    return _run(VIOLATIONS)


def coverage() -> dict[str, int]:
    return _run(COVERAGE)
