"""Values loaded by migration 0002, verbatim from [002] (« Méthodologie de suivi de la mise en œuvre du CEP par
les associations Transitions Pro au niveau régional 2022 »)."""

import datetime

D = datetime.date
SOURCE = "[002] Les étapes de la méthodologie 2022 (restitution 2023)"

# [002] « Le périmètre du suivi », volet 1: « Interconnaissance, aiguillage ; information et promotion du CEP, des
# dispositifs transitions évolution ; coopérations et partenariats opérationnels sur les offres de services et la
# fluidification des parcours ».
COOPERATION_THEMES = [
    ("interconnaissance", "Interconnaissance"),
    ("aiguillage", "Aiguillage"),
    ("information_promotion", "Information et promotion du CEP, des dispositifs transitions évolution"),
    ("partenariats_operationnels", "Coopérations et partenariats opérationnels sur les offres de services"),
    ("fluidification_parcours", "Fluidification des parcours"),
]

# The 2022 exercise's calendar. A season is due on its last day (« printemps » and « fin du printemps » on
# 20 June, « mi-avril » on 15 April): docs/decisions.md, 2026-12-07.
# (code, kind, label, due_on, due_label, reached_by)
CALENDAR_2022 = [
    (
        "dialogue_1",
        "dialogue_operateurs",
        "Réunion de dialogue opérateurs",
        D(2022, 1, 21),
        "21 janvier 2022 (14h – 16h)",
        "",
    ),
    (
        "atelier_1",
        "atelier",
        "Atelier France compétences – Transitions Pro",
        D(2022, 4, 7),
        "7 avril 2022 (14h – 16h)",
        "",
    ),
    (
        "atelier_2",
        "atelier",
        "Atelier France compétences – Transitions Pro",
        D(2022, 6, 16),
        "16 juin 2022 (14h – 16h)",
        "",
    ),
    (
        "dialogue_2",
        "dialogue_operateurs",
        "Réunion de dialogue opérateurs",
        D(2022, 6, 17),
        "17 juin 2022 (14h-16h)",
        "",
    ),
    (
        "atelier_3",
        "atelier",
        "Atelier France compétences – Transitions Pro",
        D(2022, 10, 27),
        "27 octobre 2022 (14h – 16h)",
        "",
    ),
    (
        "dialogue_3",
        "dialogue_operateurs",
        "Réunion de dialogue opérateurs",
        D(2022, 10, 28),
        "28 octobre 2022 (14h – 16h)",
        "",
    ),
    (
        "cooperations",
        "cooperations",
        "Coopérations en continu et éventuelles investigations ad hoc",
        D(2022, 12, 31),
        "Année 2022",
        "",
    ),
    (
        "atelier_4",
        "atelier",
        "Atelier France compétences – Transitions Pro",
        D(2023, 1, 19),
        "19 janvier 2023 (14h – 16h)",
        "",
    ),
    ("donnees", "donnees", "Les données CEP sont transmises", D(2023, 4, 15), "Mi avril 2023", ""),
    (
        "echanges_projet",
        "echanges_projet",
        "Échanges entre Transitions pro et opérateurs CEP en région sur la base du projet de rapport",
        D(2023, 6, 20),
        "Printemps 2023",
        "share",
    ),
    ("crefop", "crefop", "Présentation du rapport au CREFOP", D(2023, 6, 20), "Fin du printemps 2023", "present"),
    (
        "transmission",
        "transmission",
        "Transmission du rapport annuel à France compétences",
        D(2023, 7, 15),
        "15 juillet 2023",
        "transmit",
    ),
]


def load(apps) -> None:
    """Load (or refresh) the themes and the 2022 calendar; `apps` is a migration's registry or django.apps.apps."""
    theme = apps.get_model("monitoring", "CooperationTheme")
    for position, (code, label) in enumerate(COOPERATION_THEMES):
        theme.objects.update_or_create(
            code=code, defaults={"label": label, "position": position, "source": "[002] Le périmètre du suivi"}
        )
    milestone = apps.get_model("monitoring", "NationalMilestone")
    for position, (code, kind, label, due_on, due_label, reached_by) in enumerate(CALENDAR_2022):
        milestone.objects.update_or_create(
            exercise_year=2022,
            code=code,
            defaults={
                "kind": kind,
                "label": label,
                "due_on": due_on,
                "due_label": due_label,
                "reached_by": reached_by,
                "position": position,
                "source": SOURCE,
            },
        )
