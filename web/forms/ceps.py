"""Forms of the CEP dispositif (Suivi › Dispositifs): add, passer en phase 3, modifier, clôturer."""

from django import forms

from cep.common.dates import today
from cep.referentials.labels import label_for_network
from cep.referentials.models import ExitReason, OrientationSource, ProjectType, RequestReason

from .base import DateField, PortalForm


def _valid(model, current=None):
    """Values valid today, plus the value already recorded (a CEP keeps its historical value)."""
    from django.db.models import Q

    q = Q(pk__in=model.objects.valid_on(today()).values("pk"))
    if current is not None:
        q |= Q(pk=current)
    return model.objects.filter(q)


class RefChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("empty_label", "Sélectionnez une option")
        super().__init__(*args, **kwargs)
        self.error_messages["invalid_choice"] = "Choisissez une valeur de la liste."


PHASES = [
    (2, "Phase 2 – Conseil personnalisé"),
    (3, "Phase 3 – Accompagnement personnalisé vers la mise en œuvre du projet"),
]


class CepFieldsForm(PortalForm):
    orientation_source = RefChoiceField(label="Aiguilleur", queryset=OrientationSource.objects.none())
    request_reason = RefChoiceField(label="Motif de la sollicitation", queryset=RequestReason.objects.none())
    prescriber_name = forms.CharField(label="Nom du prescripteur", required=False, max_length=200)
    referent_name = forms.CharField(label="Nom du référent", required=False, max_length=200)
    project_type = RefChoiceField(label="Type de projet", queryset=ProjectType.objects.none(), required=False)

    def __init__(self, *args, cep=None, network: str | None = None, referents=(), **kwargs):
        super().__init__(*args, **kwargs)
        # « Nom du référent »: the structure's counselors proposed (a datalist), free text for someone outside it.
        self.referent_choices = list(referents)
        self.referent_datalist_id = f"{self.add_prefix('referents')}-list"
        if self.referent_choices:
            attrs = {"list": self.referent_datalist_id, "autocomplete": "off"}
            self.fields["referent_name"].widget.attrs.update(attrs)
            self.fields[
                "referent_name"
            ].help_text = (
                "Choisissez un conseiller de la structure ; saisissez un nom seulement pour une personne extérieure."
            )
        self.fields["orientation_source"].queryset = _valid(OrientationSource, cep and cep.orientation_source_id)
        # « Ma ML » reads « Ma structure » outside the Missions locales (docs/regles-cep.md §3); codes do not change.
        self.fields["orientation_source"].label_from_instance = lambda value: label_for_network(value.label, network)
        self.fields["request_reason"].queryset = _valid(RequestReason, cep and cep.request_reason_id)
        self.fields["project_type"].queryset = _valid(ProjectType, cep and cep.project_type_id)
        self.fields["project_type"].empty_label = "Non renseigné"
        after_level1 = label_for_network("Ma ML – suite niveau 1", network)
        self.fields[
            "orientation_source"
        ].help_text = f"« {after_level1} » suppose qu'une offre CEP de niveau 1 a été proposée sur le dossier."


def staff_names(structure_id) -> list[str]:
    """The names « Nom du référent » proposes: the structure's counselors and managers."""
    from web.forms.beneficiaries import structure_staff

    return [user.get_full_name() or user.username for user in structure_staff(structure_id)]


def referent_name_of(beneficiary) -> str:
    """The default « Nom du référent »: the dossier's referent."""
    referent = beneficiary.referent if beneficiary is not None else None
    return (referent.get_full_name() or referent.username) if referent else ""


class CepOpenForm(CepFieldsForm):
    initial_interview_date = DateField(label="Date d'entretien d'initialisation", required=False)
    entry_date = DateField(label="Date d'entrée")
    entry_phase = forms.TypedChoiceField(
        label="Phase", choices=PHASES, coerce=int, widget=forms.RadioSelect, initial=2
    )
    field_order = [
        "orientation_source",
        "initial_interview_date",
        "entry_date",
        "request_reason",
        "entry_phase",
        "prescriber_name",
        "referent_name",
        "project_type",
    ]

    def __init__(self, *args, phases=(2, 3), **kwargs):
        super().__init__(*args, **kwargs)
        # R6: no direct entry in phase 3 for a structure that does not distinguish the phases.
        self.fields["entry_phase"].choices = [(value, label) for value, label in PHASES if value in phases]


class Phase3Form(PortalForm):
    phase3_entry_date = DateField(
        label="Date d'entrée en phase 3",
        help_text="Au plus tôt le lendemain de l'entrée en phase 2 ; elle peut être dans le futur.",
    )


class ServiceCheckedChoiceField(RefChoiceField):
    """Marked required when needed, but the service says why (R8 message next to the field)."""

    def validate(self, value):
        pass


class CloseForm(PortalForm):
    end_date = DateField(label="Date de fin réelle", help_text="Elle ne peut pas être saisie par anticipation.")
    exit_reason = RefChoiceField(label="Motif de sortie", queryset=ExitReason.objects.none())
    project_type = ServiceCheckedChoiceField(
        label="Type de projet", queryset=ProjectType.objects.none(), required=False
    )

    def __init__(self, *args, cep=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["exit_reason"].queryset = ExitReason.objects.valid_on(today())
        self.fields["project_type"].queryset = _valid(ProjectType, cep and cep.project_type_id)
        self.fields["project_type"].empty_label = "Non renseigné"
        self.fields["project_type"].help_text = "Obligatoire pour le motif « Plan d'action réalisé »."

    def require_project_type(self):
        """Shown as required when the chosen exit reason needs it (R8); the service checks it."""
        self.fields["project_type"].required = True
