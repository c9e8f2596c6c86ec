"""The referential values loaded by migration 0002. Labels verbatim from the sources (docs/regles-cep.md cites them).

Each entry: (code, label, extra fields). Dates: valid_from / valid_to when not the default.
"""

import datetime

D2019 = datetime.date(2019, 1, 1)
D2020 = datetime.date(2020, 1, 1)
END_2018 = datetime.date(2018, 12, 31)
END_2019 = datetime.date(2019, 12, 31)
END_2016_GUIDE = datetime.date(2016, 12, 31)

NETWORKS = [
    ("ml", "Missions locales", {"short_label": "ML", "min_age": 16, "max_age": 25}),
    (
        "france_travail",
        "France Travail (ex-Pôle emploi)",
        {"short_label": "France Travail", "follows_registered_job_seekers": True},
    ),
    ("cap_emploi", "Cap emploi", {"short_label": "Cap emploi"}),
    ("apec", "APEC", {"short_label": "APEC"}),
    (
        "operateur_regional",
        "Opérateurs régionaux sélectionnés par France compétences",
        {"short_label": "Opérateur régional", "excludes_public_agents": True, "valid_from": D2020},
    ),
    ("fongecif", "Fongecif", {"short_label": "Fongecif", "valid_to": END_2019}),
    ("opca", "OPCA", {"short_label": "OPCA", "valid_to": END_2018}),
]

EMPLOYMENT_STATUSES = [
    ("salarie_prive_temps_complet", "Salarié du secteur privé à temps complet", {}),
    ("salarie_prive_temps_partiel", "Salarié du secteur privé à temps partiel", {}),
    ("agent_public_titulaire", "Agent public titulaire", {"is_public_agent": True}),
    ("agent_public_contractuel", "Agent public contractuel", {"is_public_agent": True}),
    ("agent_public_vacataire", "Agent public vacataire", {"is_public_agent": True}),
    ("demandeur_emploi_indemnise", "Demandeur d'emploi indemnisé", {"is_registered_job_seeker": True}),
    ("demandeur_emploi_non_indemnise", "Demandeur d'emploi non indemnisé", {"is_registered_job_seeker": True}),
    ("travailleur_independant", "Travailleur indépendant", {}),
    ("artisan", "Artisan", {}),
    ("profession_liberale", "Profession libérale", {}),
    ("auto_entrepreneur", "Auto-entrepreneur", {}),
    ("etudiant", "Étudiant", {"requires_job_holding_or_seeking": True}),
    ("retraite", "Retraité", {"requires_job_holding_or_seeking": True}),
]

# Cadre national des certifications professionnelles (décret 2019-14).
QUALIFICATION_LEVELS = [
    ("niveau_1", "Niveau 1 – maîtrise des savoirs de base", {}),
    ("niveau_2", "Niveau 2 – sans diplôme qualifiant", {}),
    ("niveau_3", "Niveau 3 – CAP, BEP (ex-niveau V)", {}),
    ("niveau_4", "Niveau 4 – baccalauréat (ex-niveau IV)", {}),
    ("niveau_5", "Niveau 5 – bac+2 : BTS, DUT (ex-niveau III)", {}),
    ("niveau_6", "Niveau 6 – bac+3/4 : licence (ex-niveau II)", {}),
    ("niveau_7", "Niveau 7 – bac+5 : master (ex-niveau I)", {}),
    ("niveau_8", "Niveau 8 – doctorat", {}),
]

# The 8 national service acts of CEP level 1 [000], verbatim, then other national acts used by offers.
SERVICE_ACTS = [
    ("conseil_recherche_emploi", "Conseil sur la recherche d'emploi", {"is_cep_level1": True}),
    ("info_conseil_aides", "Info. et conseil sur les aides", {"is_cep_level1": True}),
    ("info_conseil_offres", "Info. et conseil sur les offres", {"is_cep_level1": True}),
    ("info_conseil_evaluation", "Info. et conseil sur l'évaluation", {"is_cep_level1": True}),
    ("info_conseil_formations", "Info. Conseil sur les formations", {"is_cep_level1": True}),
    ("info_conseil_mobilisation", "Info. et conseil sur la mobilisation", {"is_cep_level1": True}),
    ("info_conseil_aides_emploi", "Info. et conseil sur les aides à l'emploi", {"is_cep_level1": True}),
    ("info_conseil_evaluations", "Info. et conseil sur les évaluations", {"is_cep_level1": True}),
    ("bilan_competences", "Bilan de compétences", {}),
    ("vae", "Validation des acquis de l'expérience (VAE)", {}),
    ("pmsmp", "Période de mise en situation en milieu professionnel (PMSMP)", {}),
    ("formation", "Entrée en formation", {}),
    ("appui_creation_entreprise", "Appui à la création ou reprise d'entreprise", {}),
    ("afest", "Action de formation en situation de travail (AFEST)", {}),
]

SERVICE_THEMES = [
    ("formation", "Formation", {}),
    ("emploi", "Emploi", {}),
    ("projet_professionnel", "Projet professionnel", {}),
    ("creation_entreprise", "Création d'entreprise", {}),
    ("mobilite", "Mobilité", {}),
    ("sante", "Santé", {}),
    ("logement", "Logement", {}),
    ("citoyennete", "Citoyenneté", {}),
]

EVENT_CONTEXTS = [
    ("cep", "CEP", {}),
    ("evenement_general", "Événement général", {}),
    ("projet_professionnel", "Projet professionnel", {}),
    ("formation", "Formation", {}),
    ("emploi", "Emploi", {}),
    ("sante", "Santé", {}),
    ("logement", "Logement", {}),
    ("mobilite", "Mobilité", {}),
    ("suppression_dispositif", "Suppression de dispositif", {}),
]

# is_live_contact (R9): a live contact with the person, in either direction, is a manifestation of the person;
# a written message (courriel, courrier, SMS) is one only when the person sent it (docs/regles-cep.md R9).
LIVE = {"is_live_contact": True}
EVENT_NATURES = [
    ("entretien_individuel", "Entretien individuel", LIVE),
    ("atelier_collectif", "Atelier collectif", LIVE),
    ("telephone", "Téléphone", LIVE),
    ("visioconference", "Visioconférence", LIVE),
    ("courriel", "Courriel", {}),
    ("courrier", "Courrier", {}),
    ("sms", "SMS", {}),
    ("information_collective", "Information collective", LIVE),
    ("suppression_dispositif", "Suppression de dispositif", {}),
]

# is_with_person / is_from_person (R9): only exchanges between the person and the structure can be manifestations
# of the person; anything the person sent is one.
EVENT_DIRECTIONS = [
    ("beneficiaire_vers_structure", "Jeune vers Structure", {"is_with_person": True, "is_from_person": True}),
    ("structure_vers_beneficiaire", "Structure vers Jeune", {"is_with_person": True}),
    ("partenaire_vers_structure", "Partenaire vers Structure", {}),
    ("structure_vers_partenaire", "Structure vers Partenaire", {}),
    ("interne", "Interne à la structure", {}),
]

RECEPTION_PLACES = [
    ("siege", "Siège de la structure", {}),
    ("antenne", "Antenne", {}),
    ("permanence", "Permanence", {}),
    ("domicile", "À distance (domicile de la personne)", {}),
    ("partenaire", "Locaux d'un partenaire", {}),
]

STAFF_FUNCTIONS = [
    ("conseiller", "Conseiller", {}),
    ("charge_accueil", "Chargé d'accueil", {}),
    ("conseiller_emploi", "Conseiller emploi", {}),
    ("psychologue", "Psychologue", {}),
    ("responsable_secteur", "Responsable de secteur", {}),
]

ORIENTATION_SOURCES = [
    ("ma_structure_suite_niveau1", "Ma ML – suite niveau 1", {"requires_level1_service": True}),
    ("ma_structure_entree_directe", "Ma ML – entrée directe niveau 2 ou 3", {}),
    ("autre_mission_locale", "Autre Mission Locale", {}),  # within one network (cep/orientations/services.py)
    ("france_travail", "Pôle emploi / France Travail", {"network_id": "france_travail"}),
    ("cap_emploi", "Cap emploi", {"network_id": "cap_emploi"}),
    ("apec", "APEC", {"network_id": "apec"}),
    ("opca", "OPCA", {"valid_to": END_2018, "network_id": "opca"}),
    ("fongecif", "Fongecif", {"valid_to": END_2019, "network_id": "fongecif"}),
    ("operateur_regional", "Opérateur régional", {"network_id": "operateur_regional"}),
    ("autre", "Autre", {}),
]

REQUEST_REASONS = [
    ("prise_de_recul", "Faire le point sur sa situation professionnelle (la prise de recul)", {}),
    (
        "reconnaissance_professionnelle",
        "Identifier, valoriser et faire reconnaître ses compétences et expériences professionnelles "
        "(la reconnaissance professionnelle)",
        {},
    ),
    (
        "maintien_employabilite",
        "Acquérir de nouvelles compétences et/ou qualifications (le maintien de l'employabilité)",
        {},
    ),
    ("promotion_sociale", "Evoluer vers un poste à responsabilités (la promotion sociale)", {}),
    (
        "reconversion",
        "Changer de métier ou de secteur professionnel (la reconversion / la nouvelle orientation professionnelle)",
        {},
    ),
    ("creation_entreprise", "Créer ou reprendre une entreprise (l'exercice d'une activité autonome)", {}),
    ("pluriactivite", "Exercer plusieurs activités (l'exercice d'une pluriactivité)", {}),
    ("autre_projet", "Autre projet professionnel", {}),
]

PROJECT_TYPES = [
    (
        "maintien_employabilite",
        "Maintien de l'employabilité",
        {
            "definition": "Tout plan d'action permettant à la personne de se perfectionner en vue d'anticiper pour "
            "adapter son profil d'emploi aux évolutions de son environnement professionnel."
        },
    ),
    (
        "reconnaissance_professionnelle",
        "Reconnaissance professionnelle",
        {
            "definition": "Tout plan d'action visant l'acquisition d'une certification reconnue (RNCP) dans le "
            "domaine professionnel et pour le métier exercé (ex. VAE)."
        },
    ),
    (
        "promotion_sociale",
        "Promotion sociale",
        {
            "definition": "Tout plan d'action visant à élever la personne d'au moins un niveau de certification "
            "(ex. passage du niveau IV au niveau III)."
        },
    ),
    (
        "reconversion",
        "Reconversion ou nouvelle orientation professionnelle",
        {
            "definition": "Tout plan d'action visant un changement de domaine de compétences, avec ou sans "
            "changement d'entreprise, ou la définition d'un premier projet professionnel."
        },
    ),
    (
        "creation_reprise_entreprise",
        "Création ou reprise d'entreprise",
        {
            "definition": "Tout plan d'action visant la création de sa propre activité, indépendamment du "
            "caractère certifiant de la formation visée."
        },
    ),
    (
        "pluriactivite",
        "Complément d'activité / pluriactivité",
        {
            "definition": "Tout plan d'action visant un complément d'activité au regard de l'activité exercée à "
            "titre principal, et qui ne s'inscrit pas dans un objectif de reconversion."
        },
    ),
]

# The charter's seven exit reasons [000]; the 2016 guide [003] listed five, all included in these seven.
EXIT_REASONS = [
    ("deces", "Décès", {"blocks_reopening": True}),
    ("demenagement", "Déménagement", {"definition": "La personne n'est plus accompagnée par la structure."}),
    (
        "formalisation_projet_realisee",
        "Formalisation projet réalisée",
        {"definition": "Partie « formalisation du projet » du document de synthèse à remettre à la personne."},
    ),
    (
        "interruption_constatee",
        "Interruption constatée",
        {
            "is_automatic": True,
            "definition": "Pas de manifestation de la personne pendant 6 mois, ce qui provoque la sortie "
            "automatique du dispositif.",
        },
    ),
    (
        "interruption_formalisee",
        "Interruption formalisée",
        {"definition": "Interruption du parcours d'accompagnement d'un commun accord avec la personne."},
    ),
    (
        "plan_action_realise",
        "Plan d'action réalisé",
        {"requires_project_type": True, "definition": "Partie « plan d'action » du document de synthèse."},
    ),
    (
        "prise_de_recul_realisee",
        "Prise de recul réalisée",
        {"definition": "Un document de synthèse de l'entretien, intitulé « Prise de recul », est remis."},
    ),
]

# Rendez-vous (issue 14): « en mode présentiel » or « à distance (téléphone ou informatique) » [002 §3.1]. The
# event an honoured rendez-vous records takes its nature and sens from here (live contacts: R9 manifestations).
APPOINTMENT_MODES = [
    (
        "presentiel",
        "Présentiel",
        {"event_nature_id": "entretien_individuel", "event_direction_id": "beneficiaire_vers_structure"},
    ),
    (
        "telephone",
        "Téléphone",
        {"is_remote": True, "event_nature_id": "telephone", "event_direction_id": "structure_vers_beneficiaire"},
    ),
    (
        "visio",
        "Visioconférence",
        {"is_remote": True, "event_nature_id": "visioconference", "event_direction_id": "structure_vers_beneficiaire"},
    ),
]

# Financing plan (docs/regles-cep.md §6, [002] §3.3.3): the funders named by the issue, then the aids and
# compensations for
# disabled people as their own kinds.
FUNDERS = [
    ("cpf", "Compte personnel de formation (CPF)", {}),
    ("transitions_pro", "Transitions Pro", {}),
    ("employeur", "Employeur", {}),
    ("region", "Région", {}),
    ("france_travail", "France Travail", {}),
    ("agefiph", "Agefiph", {}),
    ("opco", "OPCO", {}),
    ("personne", "La personne", {"is_person": True}),
    ("autre", "Autre financeur", {}),
    (
        "aide_handicap_agefiph_fiphfp",
        "Aides Agefiph / FIPHFP (personne en situation de handicap)",
        {"is_disability_aid": True},
    ),
    (
        "compensation_handicap",
        "Aides humaines et techniques, compensation du handicap",
        {"is_disability_aid": True},
    ),
]

# Prestations complémentaires ([002] §3.3.3 a, docs/regles-cep.md §6).
COMPLEMENTARY_SERVICES = [
    ("formation", "Formation", {}),
    ("bilan_competences", "Bilan de compétences", {}),
    ("vae", "Validation des acquis de l'expérience (VAE)", {}),
    ("accompagnement_creation_entreprise", "Accompagnement à la création ou reprise d'entreprise", {}),
    ("pmsmp", "Période de mise en situation en milieu professionnel (PMSMP)", {}),
    ("afest", "Action de formation en situation de travail (AFEST)", {}),
]

# Orientation between structures (issue 11, [002] §3.2.1): why the receiving structure declines, and how the person
# gave their consent. Withdrawn values get a valid_to and stay (the history keeps its meaning).
ORIENTATION_REFUSAL_REASONS = [
    ("non_joignable", "Non joignable", {}),
    ("absent_rendez_vous", "Absent au rendez-vous", {}),
    ("en_emploi", "En emploi", {}),
    ("en_formation", "En formation", {}),
    ("non_eligible", "Non éligible", {}),
    ("non_interesse", "Non intéressé", {}),
    ("doublon", "Doublon", {}),
    ("autre", "Autre", {}),
]
CONSENT_MODES = [
    ("oral", "Oral (entretien ou téléphone)", {}),
    ("ecrit", "Écrit (formulaire signé)", {}),
    ("courriel", "Courriel de la personne", {}),
]

ALL = {
    "Network": NETWORKS,
    "EmploymentStatus": EMPLOYMENT_STATUSES,
    "QualificationLevel": QUALIFICATION_LEVELS,
    "ServiceAct": SERVICE_ACTS,
    "ServiceTheme": SERVICE_THEMES,
    "EventContext": EVENT_CONTEXTS,
    "EventNature": EVENT_NATURES,
    "EventDirection": EVENT_DIRECTIONS,
    "ReceptionPlace": RECEPTION_PLACES,
    "StaffFunction": STAFF_FUNCTIONS,
    "OrientationSource": ORIENTATION_SOURCES,
    "RequestReason": REQUEST_REASONS,
    "ProjectType": PROJECT_TYPES,
    "ExitReason": EXIT_REASONS,
    "AppointmentMode": APPOINTMENT_MODES,  # after EventNature and EventDirection, which it points to
    "Funder": FUNDERS,
    "ComplementaryService": COMPLEMENTARY_SERVICES,
    "OrientationRefusalReason": ORIENTATION_REFUSAL_REASONS,
    "ConsentMode": CONSENT_MODES,
}


def load(apps, schema_editor=None):
    """Idempotent loader used by the data migrations (and safe to re-run).

    A migration's historical model may not have every field yet (0002 runs before 0003 adds the R9 flags): the
    values of fields it does not know are left for the migration that adds them (which calls load() again).
    """
    for model_name, rows in ALL.items():
        try:
            model = apps.get_model("referentials", model_name)
        except LookupError:  # a referential a later migration creates (and loads)
            continue
        fields = model._meta.get_fields()
        known = {field.name for field in fields} | {field.attname for field in fields if hasattr(field, "attname")}
        for position, (code, label, extra) in enumerate(rows, start=1):
            values = {name: value for name, value in extra.items() if name in known}
            model.objects.update_or_create(code=code, defaults={"label": label, "position": position, **values})
