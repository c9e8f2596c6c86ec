"""The fixed part of the demo world: regions, structures, demo accounts, and the small lists rows are drawn from.

Everything here is plain data so that the generator stays a loop over it. Codes come from
cep/referentials/data.py; territories are real (INSEE COG, organisations.Commune).
"""

# (region code, région label used in operator names)
REGIONS = {
    "94": "Corse",
    "84": "Auvergne-Rhône-Alpes",
    "11": "Île-de-France",
    "76": "Occitanie",
    "32": "Hauts-de-France",
}

# Share of the population per network (France Travail carries most CEP entries nationally).
NETWORK_WEIGHTS = {"france_travail": 45, "ml": 25, "operateur_regional": 12, "apec": 10, "cap_emploi": 8}

OPERATOR_NAMES = {
    "ml": "Association régionale des Missions locales – {region}",
    "france_travail": "France Travail – Direction régionale {region}",
    "cap_emploi": "Cap emploi – {region}",
    "apec": "APEC – {region}",
    "operateur_regional": "Opérateur régional du CEP – {region}",
}

# (structure name, network, département). The demo accounts' structures weigh three times more.
STRUCTURES = [
    ("Mission locale du Grand Ajaccio", "ml", "2A"),
    ("Mission locale de Bastia", "ml", "2B"),
    ("France Travail Ajaccio", "france_travail", "2A"),
    ("France Travail Bastia", "france_travail", "2B"),
    ("Cap emploi 2A", "cap_emploi", "2A"),
    ("Opérateur régional du CEP Corse – Ajaccio", "operateur_regional", "2A"),
    ("Mission locale de Lyon", "ml", "69"),
    ("Mission locale de Grenoble", "ml", "38"),
    ("Mission locale de Clermont Métropole et Volcans", "ml", "63"),
    ("France Travail Lyon Part-Dieu", "france_travail", "69"),
    ("France Travail Villeurbanne", "france_travail", "69"),
    ("France Travail Grenoble Europole", "france_travail", "38"),
    ("France Travail Clermont-Ferrand Jaude", "france_travail", "63"),
    ("Cap emploi 69", "cap_emploi", "69"),
    ("Cap emploi 38", "cap_emploi", "38"),
    ("APEC Lyon", "apec", "69"),
    ("Opérateur régional du CEP Auvergne-Rhône-Alpes – Lyon", "operateur_regional", "69"),
    ("Opérateur régional du CEP Auvergne-Rhône-Alpes – Grenoble", "operateur_regional", "38"),
    ("Mission locale de Paris", "ml", "75"),
    ("Mission locale de Saint-Denis", "ml", "93"),
    ("France Travail Paris 13e", "france_travail", "75"),
    ("France Travail Saint-Denis", "france_travail", "93"),
    ("Cap emploi 75", "cap_emploi", "75"),
    ("Cap emploi 93", "cap_emploi", "93"),
    ("APEC Paris", "apec", "75"),
    ("Opérateur régional du CEP Île-de-France – Paris", "operateur_regional", "75"),
    ("Mission locale de Toulouse", "ml", "31"),
    ("Mission locale de Montpellier Méditerranée Métropole", "ml", "34"),
    ("France Travail Toulouse Borderouge", "france_travail", "31"),
    ("France Travail Montpellier Croix d'Argent", "france_travail", "34"),
    ("Cap emploi 31", "cap_emploi", "31"),
    ("APEC Toulouse", "apec", "31"),
    ("Opérateur régional du CEP Occitanie – Toulouse", "operateur_regional", "31"),
    ("Mission locale de Lille", "ml", "59"),
    ("France Travail Lille Vauban", "france_travail", "59"),
    ("Cap emploi 59", "cap_emploi", "59"),
    ("APEC Lille", "apec", "59"),
    ("Opérateur régional du CEP Hauts-de-France – Lille", "operateur_regional", "59"),
]

DEMO_ML = "Mission locale de Lyon"
DEMO_FT = "France Travail Lyon Part-Dieu"
HEAVY_STRUCTURES = {DEMO_ML: 3, DEMO_FT: 3}
DEMO_REGION = "84"

# Staff names of the demo accounts (the generator makes them real members of their structure).
DEMO_STAFF = {
    "conseiller.ml": (DEMO_ML, "counselor", "Camille", "Roux"),
    "responsable.ml": (DEMO_ML, "manager", "Nadia", "Benali"),
    "conseiller.ft": (DEMO_FT, "counselor", "Julien", "Marchand"),
}

# Level-1 CEP offers: one per national level-1 service act [000] (code, theme).
LEVEL1_OFFERS = [
    ("conseil_recherche_emploi", "emploi"),
    ("info_conseil_aides", "emploi"),
    ("info_conseil_offres", "emploi"),
    ("info_conseil_evaluation", "projet_professionnel"),
    ("info_conseil_formations", "formation"),
    ("info_conseil_mobilisation", "projet_professionnel"),
    ("info_conseil_aides_emploi", "emploi"),
    ("info_conseil_evaluations", "projet_professionnel"),
]
# Complementary services mobilised during a CEP (docs/regles-cep.md §6): (act code, theme, offer name, partner).
COMPLEMENTARY_OFFERS = [
    ("bilan_competences", "projet_professionnel", "Bilan de compétences", "Centre de bilan partenaire"),
    ("vae", "formation", "Accompagnement VAE", "Dispositif académique de validation des acquis"),
    ("pmsmp", "emploi", "Immersion en entreprise (PMSMP)", ""),
    ("formation", "formation", "Entrée en formation qualifiante", "Organisme de formation certifié Qualiopi"),
    ("appui_creation_entreprise", "creation_entreprise", "Appui à la création d'entreprise", "BGE"),
]

# Employment statuses per network: (code, weight). Students/retirees always hold or seek a job.
STATUSES = {
    "ml": [
        ("demandeur_emploi_non_indemnise", 45),
        ("demandeur_emploi_indemnise", 10),
        ("salarie_prive_temps_partiel", 14),
        ("salarie_prive_temps_complet", 10),
        ("etudiant", 14),
        ("agent_public_contractuel", 3),
        ("auto_entrepreneur", 4),
    ],
    "france_travail": [
        ("demandeur_emploi_indemnise", 48),
        ("demandeur_emploi_non_indemnise", 30),
        ("salarie_prive_temps_partiel", 8),
        ("salarie_prive_temps_complet", 6),
        ("auto_entrepreneur", 3),
        ("agent_public_contractuel", 2),
        ("etudiant", 2),
        ("retraite", 1),
    ],
    "cap_emploi": [
        ("demandeur_emploi_indemnise", 35),
        ("demandeur_emploi_non_indemnise", 25),
        ("salarie_prive_temps_complet", 18),
        ("salarie_prive_temps_partiel", 14),
        ("agent_public_titulaire", 5),
        ("travailleur_independant", 3),
    ],
    "apec": [
        ("salarie_prive_temps_complet", 55),
        ("demandeur_emploi_indemnise", 30),
        ("salarie_prive_temps_partiel", 5),
        ("profession_liberale", 5),
        ("auto_entrepreneur", 5),
    ],
    # Regional operators serve people in work, public agents excluded (docs/regles-cep.md §1).
    "operateur_regional": [
        ("salarie_prive_temps_complet", 52),
        ("salarie_prive_temps_partiel", 20),
        ("travailleur_independant", 8),
        ("artisan", 6),
        ("profession_liberale", 5),
        ("auto_entrepreneur", 7),
        ("retraite", 2),
    ],
}
# (min age, max age) at first reception; ML: 16–25 (network rule, checked against the whole period).
AGES = {"ml": (16, 25), "france_travail": (18, 62), "cap_emploi": (20, 62), "apec": (25, 62)}
AGES["operateur_regional"] = (20, 62)
STATUS_AGES = {"etudiant": (18, 28), "retraite": (62, 69)}

QUALIFICATIONS = {
    "ml": [("niveau_2", 25), ("niveau_3", 35), ("niveau_4", 30), ("niveau_5", 8), ("niveau_6", 2)],
    "apec": [("niveau_5", 10), ("niveau_6", 35), ("niveau_7", 50), ("niveau_8", 5)],
    "default": [
        ("niveau_1", 2),
        ("niveau_2", 10),
        ("niveau_3", 26),
        ("niveau_4", 25),
        ("niveau_5", 17),
        ("niveau_6", 11),
        ("niveau_7", 8),
        ("niveau_8", 1),
    ],
}
RQTH_SHARE = {"cap_emploi": 0.45, "default": 0.012}

ORIENTATION_SOURCES = [
    ("ma_structure_suite_niveau1", 40),
    ("ma_structure_entree_directe", 25),
    ("france_travail", 8),
    ("autre_mission_locale", 4),
    ("cap_emploi", 4),
    ("apec", 4),
    ("operateur_regional", 7),
    ("autre", 8),
]
REQUEST_REASONS = [
    ("prise_de_recul", 22),
    ("reconnaissance_professionnelle", 12),
    ("maintien_employabilite", 14),
    ("promotion_sociale", 8),
    ("reconversion", 26),
    ("creation_entreprise", 9),
    ("pluriactivite", 3),
    ("autre_projet", 6),
]
# Dominant project type, by request reason (used when the counselor recorded one).
PROJECT_FOR_REASON = {
    "prise_de_recul": "reconversion",
    "reconnaissance_professionnelle": "reconnaissance_professionnelle",
    "maintien_employabilite": "maintien_employabilite",
    "promotion_sociale": "promotion_sociale",
    "reconversion": "reconversion",
    "creation_entreprise": "creation_reprise_entreprise",
    "pluriactivite": "pluriactivite",
    "autre_projet": "maintien_employabilite",
}
# Manual exits (the automatic « Interruption constatée » is generated separately, auto_closed=True).
EXIT_REASONS = [
    ("plan_action_realise", 26),
    ("formalisation_projet_realisee", 20),
    ("prise_de_recul_realisee", 18),
    ("interruption_formalisee", 15),
    ("demenagement", 10),
    ("interruption_constatee", 8),
    ("deces", 1),
]

OTHER_CONTEXTS = [
    ("projet_professionnel", 35),
    ("emploi", 25),
    ("formation", 20),
    ("evenement_general", 10),
    ("mobilite", 4),
    ("logement", 3),
    ("sante", 3),
]
# nature: (weight, delivery mode, group mode, usual places)
NATURES = {
    "entretien_individuel": (48, "sur_site", "individuel", ("siege", "siege", "antenne", "permanence")),
    "telephone": (18, "a_distance", "individuel", ("domicile",)),
    "visioconference": (9, "a_distance", "individuel", ("domicile",)),
    "courriel": (8, "a_distance", "individuel", ("domicile",)),
    "atelier_collectif": (8, "sur_site", "collectif", ("siege", "antenne", "partenaire")),
    "information_collective": (4, "sur_site", "collectif", ("siege", "partenaire")),
    "sms": (3, "a_distance", "individuel", ("domicile",)),
    "courrier": (2, "a_distance", "individuel", ("domicile",)),
}
# R9: events that are not manifestations of the person (reminders the person leaves unanswered, partners).
UNANSWERED_NATURES = ["courriel", "courriel", "sms", "courrier"]
PARTNER_NATURES = ["telephone", "courriel", "entretien_individuel"]
PARTNER_DIRECTIONS = ["structure_vers_partenaire", "partenaire_vers_structure"]
DIRECTIONS = [
    ("beneficiaire_vers_structure", 45),
    ("structure_vers_beneficiaire", 45),
    ("partenaire_vers_structure", 5),
    ("structure_vers_partenaire", 5),
]
FUNCTIONS = [("conseiller", 80), ("conseiller_emploi", 12), ("psychologue", 4), ("responsable_secteur", 4)]

COMMENTS = [
    "",
    "",
    "",
    "Point d'étape sur le projet.",
    "Travail sur le CV et la lettre de motivation.",
    "Exploration de métiers avec la personne.",
    "Présentation des financements possibles (CPF, Transitions Pro).",
    "Préparation du plan d'actions.",
    "Échange sur les compétences transférables.",
    "La personne a transmis les documents demandés.",
    "Relance sans réponse.",
    "Recherche d'une formation certifiante.",
    "Entretien de suivi.",
    "Identification d'une enquête métier.",
    "Restitution du bilan.",
]
FIRST_COMMENTS = ["Premier accueil.", "Accueil et présentation du CEP.", "Accueil, analyse de la demande.", ""]
ENTRY_COMMENTS = ["Entretien d'entrée dans le CEP.", "Entrée en conseil personnalisé.", ""]
PRESCRIBERS = ["", "", "", "Employeur", "Conseiller France Travail", "Service social", "Mission locale voisine"]
ROME_CODES = ["", "", "M1607", "K2111", "J1501", "N1103", "G1603", "D1507", "M1805", "H2909", "K1302", "F1703"]
EMAIL_DOMAINS = ["exemple.fr", "courriel.fr", "messagerie.fr", "demo-mail.fr"]
STREET_TYPES = ["rue", "rue", "avenue", "boulevard", "chemin", "place", "allée", "impasse"]
STREET_NAMES = [
    "de la République",
    "Victor Hugo",
    "Jean Jaurès",
    "de la Gare",
    "Pasteur",
    "des Écoles",
    "du Général de Gaulle",
    "de la Liberté",
    "des Lilas",
    "du Moulin",
    "Émile Zola",
    "de Verdun",
    "des Tilleuls",
    "Jules Ferry",
    "de la Paix",
]
