"""Forms of the beneficiary dossier: search, creation, Identité, Coordonnées, Compléments."""

import functools
import re

from django import forms

from cep.accounts.models import User
from cep.beneficiaries.models import Beneficiary, DossierStatus, Sex
from cep.enrolments.workflow import Status
from cep.organisations.models import Commune
from cep.referentials.models import EmploymentStatus, QualificationLevel

from .base import DateField, PortalForm, PortalFormMixin

CEP_STATES = [
    ("", "Tous"),
    ("open", "CEP en cours (phase 2 ou 3)"),
    (Status.PHASE2, "CEP en phase 2"),
    (Status.PHASE3, "CEP en phase 3"),
    ("closed", "CEP clôturé"),
    ("none", "Sans CEP"),
]


def structure_staff(structure_id):
    return User.objects.filter(structure_id=structure_id, is_active=True, role__in=["counselor", "manager"]).order_by(
        "last_name", "first_name"
    )


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username

    def for_structure(self, structure_id, empty_label: str) -> None:
        """The structure's staff as options, read as plain values when the select is drawn (not at all when it is
        not): a ModelChoiceField reads them through a server-side cursor and builds a User per option at each
        rendering (a third of the search page's time at 40 counselors). The queryset still validates a value."""
        self.queryset = structure_staff(structure_id)
        self.empty_label = empty_label
        queryset = self.queryset

        @functools.cache  # read once per form, when first drawn
        def options():
            rows = queryset.values_list("pk", "first_name", "last_name", "username")
            staff = [(pk, f"{first} {last}".strip() or username) for pk, first, last, username in rows]
            return [("", empty_label), *staff] if empty_label is not None else staff

        self.widget.choices = options  # a callable: Django keeps it lazy (CallableChoiceIterator)


class SearchForm(PortalForm):
    q = forms.CharField(
        label="Nom, prénom, date de naissance ou téléphone",
        help_text="Dans n'importe quel ordre, sans accents si vous voulez ; date au format jj/mm/aaaa",
        required=False,
        max_length=100,
    )
    birth_date = DateField(label="Date de naissance", required=False)
    status = forms.ChoiceField(
        label="Statut du dossier", required=False, choices=[("", "Tous"), *DossierStatus.choices]
    )
    referent = StaffChoiceField(label="Conseiller référent", required=False, queryset=User.objects.none())
    cep_state = forms.ChoiceField(label="État du CEP", required=False, choices=CEP_STATES)

    def __init__(self, *args, structure_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referent"].for_structure(structure_id, "Tous")

    def clean_q(self):
        from cep.beneficiaries.queries import SearchTextError, parse_search_text

        text = self.cleaned_data["q"]
        try:
            parse_search_text(text)
        except SearchTextError as exc:
            raise forms.ValidationError(str(exc))
        return text


class CommuneField(forms.CharField):
    """Commune de résidence typed as « Nom (code INSEE) » (suggestions as you type) or a postal code / name."""

    _CODE = re.compile(r"\(([0-9][0-9AB][0-9]{3})\)\s*$")

    def to_python(self, value):
        text = (super().to_python(value) or "").strip()
        if not text:
            return None
        from cep.beneficiaries.queries import search_communes

        match = self._CODE.search(text)
        if match:
            commune = Commune.objects.filter(pk=match.group(1)).first()
            if commune:
                return commune
        found = search_communes(text, limit=6)
        if len(found) == 1:
            return found[0]
        if not found:
            raise forms.ValidationError("Aucune commune ne correspond à « %(text)s ».", params={"text": text})
        raise forms.ValidationError(
            "Plusieurs communes correspondent : précisez parmi %(names)s.",
            params={"names": ", ".join(commune_label(c) for c in found[:5])},
        )

    def prepare_value(self, value):
        if isinstance(value, Commune):
            return commune_label(value)
        if isinstance(value, str) and re.fullmatch(r"[0-9][0-9AB][0-9]{3}", value):
            commune = Commune.objects.filter(pk=value).first()
            return commune_label(commune) if commune else value
        return value


def commune_label(commune: Commune) -> str:
    return f"{commune.name} {commune.postal_code} ({commune.code})".replace("  ", " ")


class DossierForm(PortalFormMixin, forms.ModelForm):
    """A ModelForm used only to parse input: the service validates and writes (no model validation here)."""

    def _post_clean(self):  # the service owns validation and saving
        pass

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data}


class IdentityForm(DossierForm):
    birth_date = DateField(label="Date de naissance")
    first_reception_date = DateField(
        label="Date de premier accueil", help_text="Première venue de la personne dans la structure."
    )
    referent = StaffChoiceField(label="Conseiller référent", queryset=User.objects.none(), required=False)

    class Meta:
        model = Beneficiary
        fields = ["last_name", "first_name", "birth_name", "sex", "birth_date", "first_reception_date", "referent"]
        widgets = {"sex": forms.RadioSelect}

    def __init__(self, *args, structure_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sex"].choices = Sex.choices
        self.fields["referent"].for_structure(structure_id, "Aucun")


JUSTIFICATION_HINT = "Nécessaire pour justifier le dossier (et donc pour le CEP)."


class CreateForm(IdentityForm):
    """Identité, plus what « Justifié » needs (commune, situation professionnelle, niveau de qualification): optional
    for « Créer le dossier », checked by the service for « Créer et justifier »."""

    commune = CommuneField(
        label="Commune de résidence",
        required=False,
        help_text="Saisissez le nom ou le code postal puis choisissez la commune dans la liste.",
    )
    employment_status = forms.ModelChoiceField(
        label="Situation professionnelle", queryset=EmploymentStatus.objects.none(), required=False
    )
    qualification_level = forms.ModelChoiceField(
        label="Niveau de qualification", queryset=QualificationLevel.objects.none(), required=False
    )
    not_duplicate = forms.BooleanField(label="Il ne s'agit pas de la même personne", required=False)

    JUSTIFICATION_FIELDS = ("commune", "employment_status", "holds_or_seeks_job", "qualification_level")

    class Meta(IdentityForm.Meta):
        fields = [
            "last_name",
            "first_name",
            "birth_name",
            "sex",
            "birth_date",
            "first_reception_date",
            "commune",
            "employment_status",
            "holds_or_seeks_job",
            "qualification_level",
        ]

    def __init__(self, *args, show_not_duplicate=False, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["referent"]
        if not show_not_duplicate:
            del self.fields["not_duplicate"]
        self.fields["commune"].widget.attrs.update({"list": "communes-list", "autocomplete": "off"})
        self.fields["employment_status"].queryset = EmploymentStatus.objects.valid_on()
        self.fields["qualification_level"].queryset = QualificationLevel.objects.valid_on()
        for name in ("employment_status", "qualification_level"):
            self.fields[name].empty_label = "Non renseigné"
        self.fields["holds_or_seeks_job"].label = "Occupe ou recherche un emploi"
        self.fields[
            "holds_or_seeks_job"
        ].help_text = "Pour un étudiant ou un retraité : il occupe ou recherche un emploi."

    def identity_fields(self):
        return [f for f in self.visible_fields() if f.name not in self.JUSTIFICATION_FIELDS + ("not_duplicate",)]

    def justification_fields(self):
        return [self[name] for name in self.JUSTIFICATION_FIELDS]

    def parsed(self) -> dict:
        """What could be read of a partly typed form (the eligibility check as it is typed): valid fields only."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if name != "not_duplicate"}

    def changes(self) -> dict:
        data = super().changes()
        data.pop("not_duplicate", None)
        return data


class ContactForm(DossierForm):
    commune = CommuneField(
        label="Commune de résidence",
        required=False,
        help_text="Saisissez le nom ou le code postal puis choisissez la commune dans la liste.",
    )

    class Meta:
        model = Beneficiary
        fields = ["email", "phone", "address", "commune"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].widget.attrs.update({"list": "communes-list", "autocomplete": "off"})
        self.fields["email"].error_messages["invalid"] = "Saisissez une adresse électronique valide."
        self.fields["phone"].widget.attrs["autocomplete"] = "tel"


class ComplementsForm(DossierForm):
    employment_status = forms.ModelChoiceField(
        label="Situation professionnelle", queryset=EmploymentStatus.objects.none(), required=False
    )
    qualification_level = forms.ModelChoiceField(
        label="Niveau de qualification", queryset=QualificationLevel.objects.none(), required=False
    )

    class Meta:
        model = Beneficiary
        fields = ["employment_status", "holds_or_seeks_job", "qualification_level", "has_rqth", "target_rome_code"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employment_status"].queryset = EmploymentStatus.objects.valid_on()
        self.fields["qualification_level"].queryset = QualificationLevel.objects.valid_on()
        for name in ("employment_status", "qualification_level"):
            self.fields[name].empty_label = "Non renseigné"
        self.fields["holds_or_seeks_job"].label = "Occupe ou recherche un emploi"
        self.fields["has_rqth"].label = "Reconnaissance de la qualité de travailleur handicapé (RQTH)"
        self.fields["target_rome_code"].label = "Code ROME du métier visé"
        self.fields["target_rome_code"].help_text = "Une lettre et quatre chiffres, par exemple M1607."

    def clean_target_rome_code(self):
        code = (self.cleaned_data.get("target_rome_code") or "").strip().upper()
        if code and not re.fullmatch(r"[A-N][0-9]{4}", code):
            raise forms.ValidationError("Le code ROME est une lettre (A à N) suivie de quatre chiffres.")
        return code
