"""What the retention job clears, what it keeps, and for how long (docs/decisions.md, « Durée de conservation »).

CNIL guidance for social accompaniment: a dossier is kept two years after the last contact with the person. After
that the job clears every direct identifier and free text, and keeps what the monthly file and the indicators read
(cep/reporting/exports/lines.py FIELD_SQL, cep/reporting/indicators/refresh_sql.py): the row and its id, the
structure, `person_key` (the keyed pseudonym of the files is computed from it, never from the name), birth date
(age at entry), sex, employment status, qualification level, RQTH, département and région of residence, ROME code,
dates and referential codes. So past months regenerate byte-identical and the indicators do not move.

The SQL side (migration 0001 of this app) hardcodes the same values: tests/retention/test_sql_functions.py checks
that both agree.
"""

from cep.common.text import normalize_name

DEFAULT_MONTHS = 24  # settings.CEP_RETENTION_MONTHS
MIN_MONTHS = 12  # a shorter period is refused: it would anonymise people still followed
SENSITIVE_ACCESS_MONTHS = 12  # the RQTH access log (audit_sensitiveaccess); fixed in the SQL purge function

# Dossier columns cleared, with their neutral value (`commune_id` is cleared; department and region are kept).
NEUTRAL_BENEFICIARY = {
    "last_name": "ANONYME",
    "first_name": "Anonyme",
    "birth_name": "",
    "email": "",
    "phone": "",
    "address": "",
    "commune_id": None,
}
NEUTRAL_SEARCH_NAME = normalize_name(f"{NEUTRAL_BENEFICIARY['last_name']} {NEUTRAL_BENEFICIARY['first_name']}")

# Free-text columns emptied on the dossier's events (system events excepted: their text is the application's),
# services, CEPs and rendez-vous.
FREE_TEXTS = {
    "events_event": ("comment",),
    "offers_service": ("comment",),
    "enrolments_cep": ("prescriber_name", "referent_name"),
    "appointments_appointment": ("comment",),  # the rendez-vous' « Objet »
}

# Keys removed from the before/after snapshots of the person's audit rows. The history keeps who did what and
# when, the statuses, dates and codes; birth date and RQTH leave the history too (the dossier row keeps its
# current values for the statistics, the history needs none).
AUDIT_PERSONAL_KEYS = (
    "last_name",
    "first_name",
    "birth_name",
    "search_name",
    "email",
    "phone",
    "address",
    "commune_id",
    "birth_date",
    "has_rqth",
    "comment",
    "prescriber_name",
    "referent_name",
)
