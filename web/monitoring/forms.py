from django import forms

from cep.monitoring.documents import ALLOWED_LABEL
from cep.monitoring.models import (
    CooperationKind,
    CooperationStatus,
    CooperationTheme,
    DocumentKind,
    InvestigationMethod,
    LegalBasis,
    ThreadKind,
)
from web.forms.base import DateField, PortalForm


def _themes_field(label: str) -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=label,
        queryset=CooperationTheme.objects.valid_on(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        to_field_name="code",
    )


class ExerciseForm(PortalForm):
    year = forms.IntegerField(
        label="Exercice (année suivie)",
        min_value=2019,
        max_value=2100,
        help_text="Le rapport d'un exercice est remis l'année suivante (exercice 2022 : rapport du 15 juillet 2023).",
        error_messages={"invalid": "Saisissez une année (quatre chiffres)."},
    )


class MeetingForm(PortalForm):
    operator = forms.ModelChoiceField(label="Opérateur du CEP rencontré", queryset=None, empty_label="Choisir")
    held_on = DateField(label="Date de la rencontre")
    participants = forms.CharField(label="Participants", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    themes = _themes_field("Thèmes abordés")
    notes = forms.CharField(
        label="Compte rendu",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Les deux volets du suivi : coopérations, parcours des bénéficiaires. Aucune donnée personnelle "
        "de bénéficiaire.",
    )

    def __init__(self, *args, operators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operator"].queryset = operators


class CooperationForm(PortalForm):
    kind = forms.ChoiceField(label="Nature", choices=CooperationKind.choices)
    title = forms.CharField(label="Intitulé", max_length=200)
    held_on = DateField(label="Date", required=False, help_text="Obligatoire pour la réunion au CREFOP")
    status = forms.ChoiceField(label="Suivi", choices=CooperationStatus.choices, initial="realisee")
    themes = _themes_field("Thèmes")
    actors = forms.CharField(label="Acteurs", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    achievements = forms.CharField(
        label="Réalisations", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    levers = forms.CharField(
        label="Leviers", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    difficulties = forms.CharField(
        label="Difficultés", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class StepForm(PortalForm):
    on = DateField(label="Date")


class MilestoneForm(PortalForm):
    done_on = DateField(label="Réalisé le", required=False, help_text="Vide : pas encore réalisée")
    notes = forms.CharField(label="Remarques", required=False, max_length=2000)


class DocumentForm(PortalForm):
    title = forms.CharField(label="Titre", max_length=200)
    kind = forms.ChoiceField(label="Type", choices=DocumentKind.choices)
    source = forms.CharField(label="Source (auteur, organisme)", max_length=200)
    published_on = DateField(label="Date du document")
    description = forms.CharField(
        label="Description", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    file = forms.FileField(
        label="Fichier",
        help_text=f"{ALLOWED_LABEL}, 10 Mo au plus. Un document public : aucune donnée personnelle.",
        error_messages={"required": "Choisissez un fichier.", "empty": "Le fichier est vide."},
    )


class SectionForm(PortalForm):
    body = forms.CharField(
        label="Texte de la section",
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text="Texte simple ; une ligne vide sépare deux paragraphes. Aucune donnée personnelle de bénéficiaire.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class ThreadForm(PortalForm):
    section_key = forms.SlugField(widget=forms.HiddenInput, max_length=40)
    kind = forms.ChoiceField(
        label="Nature", choices=ThreadKind.choices, initial="commentaire", widget=forms.RadioSelect
    )
    body = forms.CharField(label="Votre message", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class ThreadActionForm(PortalForm):
    body = forms.CharField(label="Message", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class InvestigationForm(PortalForm):
    title = forms.CharField(label="Intitulé", max_length=200)
    question = forms.CharField(
        label="Questionnement",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Par exemple : le non-recours au CEP, le CEP dans les parcours de reconversion, les effets du CEP.",
    )
    method = forms.ChoiceField(label="Méthode", choices=InvestigationMethod.choices)
    collects_from_people = forms.BooleanField(
        label="L'investigation recueille des données auprès des partenaires ou de leurs bénéficiaires",
        required=False,
        help_text="Enquête, entretiens… : il faut alors le consentement formel des partenaires et une base légale.",
    )
    partners_consent_on = DateField(label="Consentement formel des partenaires le", required=False)
    partners_consent_by = forms.CharField(label="Partenaires qui ont consenti", max_length=500, required=False)
    legal_basis = forms.ChoiceField(
        label="Base légale du traitement", choices=[("", "Choisir")] + LegalBasis.choices, required=False
    )
    people_consent = forms.CharField(
        label="Information et consentement des personnes",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Comment les personnes sont informées, comment elles consentent ou s'opposent.",
    )
    data_kept_until = DateField(label="Données conservées jusqu'au", required=False)
    findings = forms.CharField(
        label="Enseignements", max_length=10000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
