"""Rights and roles as named in the counselor-portal guide [003] (docs/regles-cep.md §1)."""

from django.db import models


class Right(models.TextChoices):
    MANAGE_DOSSIERS = "manage_dossiers", "Gérer des dossiers"
    MANAGE_OFFERS = "manage_offers", "Gérer des offres de service"
    VIEW_DOSSIER = "view_dossier", "Consulter les informations d'un dossier"
    EDIT_DOSSIER = "edit_dossier", "Modifier les informations d'un dossier"
    EVENTS = "events", "Événements"
    PROPOSE_CEP = "propose_cep", "Proposer CEP"
    MANAGE_STRUCTURE = "manage_structure", "Gérer la structure (utilisateurs, référents, annuaire)"
    VIEW_AGGREGATES = "view_aggregates", "Consulter les indicateurs agrégés"
    EXPORT_MONTHLY = "export_monthly", "Produire le fichier mensuel"
    RECEIVE_MONTHLY = "receive_monthly", "Recevoir les fichiers mensuels pseudonymisés"
    REGIONAL_MONITORING = "regional_monitoring", "Suivre la mise en œuvre du CEP en région (rapport annuel)"
    READ_REGIONAL_REPORTS = "read_regional_reports", "Consulter le suivi régional de toutes les régions"
    COMMENT_REGIONAL_REPORT = "comment_regional_report", "Lire et commenter le projet de rapport régional"
    ORIENT = "orient", "Orienter une personne vers une autre structure"
    HANDLE_ORIENTATIONS = "handle_orientations", "Traiter les orientations reçues"
    IMPORT_DATA = "import_data", "Importer des données (fichiers CSV ou XLSX)"


class Role(models.TextChoices):
    COUNSELOR = "counselor", "Conseiller (référent)"
    MANAGER = "manager", "Responsable de structure"
    ADMIN = "admin", "Administrateur"
    REGIONAL_OBSERVER = "regional_observer", "Observateur régional (Transitions Pro)"
    NATIONAL_OBSERVER = "national_observer", "Observateur national (France compétences)"


# The guide's rights list [003] gives a counselor « Gérer des offres de service » too (a manager may withdraw it).
_COUNSELOR = {
    Right.MANAGE_DOSSIERS,
    Right.MANAGE_OFFERS,
    Right.VIEW_DOSSIER,
    Right.EDIT_DOSSIER,
    Right.EVENTS,
    Right.PROPOSE_CEP,
    Right.ORIENT,
    Right.HANDLE_ORIENTATIONS,
}
ROLE_RIGHTS: dict[str, frozenset[str]] = {
    Role.COUNSELOR: frozenset(_COUNSELOR),
    Role.MANAGER: frozenset(
        _COUNSELOR
        | {
            Right.MANAGE_STRUCTURE,
            Right.VIEW_AGGREGATES,
            Right.EXPORT_MONTHLY,
            Right.COMMENT_REGIONAL_REPORT,
            Right.IMPORT_DATA,
        }
    ),
    Role.ADMIN: frozenset(set(Right.values)),
    Role.REGIONAL_OBSERVER: frozenset({Right.VIEW_AGGREGATES, Right.REGIONAL_MONITORING}),
    Role.NATIONAL_OBSERVER: frozenset({Right.VIEW_AGGREGATES, Right.RECEIVE_MONTHLY, Right.READ_REGIONAL_REPORTS}),
}
# Rights that only exist outside a structure: never given to a structure's staff.
NATIONAL_RIGHTS = frozenset({Right.RECEIVE_MONTHLY, Right.READ_REGIONAL_REPORTS})
# The Transitions Pro's own right: never given to a structure's staff either.
REGIONAL_RIGHTS = frozenset({Right.REGIONAL_MONITORING})
