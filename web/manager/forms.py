"""Forms of the manager pages. They parse input; the rules live in the services."""

import re

from django import forms
from dsfr.forms import DsfrBaseForm

from cep.accounts.models import User
from cep.accounts.rights import NATIONAL_RIGHTS, REGIONAL_RIGHTS, ROLE_RIGHTS, Right, Role
from cep.accounts.services import STRUCTURE_ROLES
from cep.offers.models import NationalMeasure, OfferKind, OfferOrigin, OfferState
from cep.organisations.models import Structure
from cep.referentials.labels import label_for_network
from cep.referentials.models import ServiceAct, ServiceTheme

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ROLE_CHOICES = [(r.value, r.label) for r in Role if r in STRUCTURE_ROLES]


class OfferSearchForm(DsfrBaseForm):
    q = forms.CharField(
        label="Nom, type, thème, contrat, mesure, acte de service, partenaire", required=False, max_length=200
    )
    kind = forms.ChoiceField(label="Type d'offre", choices=[("", "Tous")] + OfferKind.choices, required=False)
    theme = forms.ModelChoiceField(
        label="Thème", queryset=ServiceTheme.objects.all(), required=False, empty_label="Tous"
    )
    service_act = forms.ModelChoiceField(
        label="Acte de service", queryset=ServiceAct.objects.all(), required=False, empty_label="Tous"
    )
    national_measure = forms.ChoiceField(
        label="Mesure nationale", choices=[("", "Toutes"), ("cep", "CEP"), ("aucune", "Aucune")], required=False
    )

    def filters(self) -> dict:
        data = self.cleaned_data
        measure = {"cep": NationalMeasure.CEP, "aucune": NationalMeasure.NONE}.get(data.get("national_measure"))
        return {
            "q": data.get("q") or "",
            "kind": data.get("kind") or "",
            "theme": data.get("theme"),
            "service_act": data.get("service_act"),
            "national_measure": measure,
        }


class OfferForm(DsfrBaseForm):
    """Fiche offre › Informations générales, in the order and wording of the guide [003]."""

    structure = forms.ModelChoiceField(label="Structure", queryset=Structure.objects.all())
    origin = forms.ChoiceField(label="Origine de l'offre", choices=OfferOrigin.choices, widget=forms.RadioSelect)
    theme = forms.ModelChoiceField(label="Thème", queryset=ServiceTheme.objects.all())
    service_act = forms.ModelChoiceField(label="Acte de service", queryset=ServiceAct.objects.all())
    regional_service_act = forms.CharField(label="Acte de service régional", required=False, max_length=200)
    offer_type = forms.CharField(label="Type", required=False, max_length=100)
    name = forms.CharField(label="Nom de l'offre", max_length=200)
    kind = forms.ChoiceField(label="Type d'offre", choices=OfferKind.choices, initial=OfferKind.INTERNAL)
    partner = forms.CharField(label="Partenaire", required=False, max_length=200)
    start_date = forms.DateField(label="Date de début", help_text="Format : jj/mm/aaaa", widget=DATE_WIDGET)
    end_date = forms.DateField(
        label="Date de fin", help_text="Format : jj/mm/aaaa", required=False, widget=DATE_WIDGET
    )
    state = forms.ChoiceField(label="Etat", choices=OfferState.choices, initial=OfferState.PERMANENT)
    referent = forms.ModelChoiceField(label="Conseiller référent", queryset=User.objects.none())
    national_measure = forms.ChoiceField(
        label="Mesure nationale", choices=NationalMeasure.choices, required=False, initial=NationalMeasure.NONE
    )

    def __init__(self, *args, structure=None, **kwargs):
        super().__init__(*args, **kwargs)
        network = structure.network_id if structure is not None else None  # « ML » reads « Ma structure » elsewhere
        self.fields["origin"].choices = [
            (code, label_for_network(label, network)) for code, label in OfferOrigin.choices
        ]
        self.fields["theme"].queryset = ServiceTheme.objects.valid_on()
        self.fields["service_act"].queryset = ServiceAct.objects.valid_on()
        if structure is not None:
            del self.fields["structure"]
            self.fields["referent"].queryset = User.objects.filter(
                structure=structure, is_active=True, role__in=STRUCTURE_ROLES
            ).order_by("last_name", "first_name")
        else:  # an administrator without a structure picks it
            self.fields["referent"].queryset = User.objects.filter(
                structure__isnull=False, is_active=True, role__in=STRUCTURE_ROLES
            ).select_related("structure")
            self.fields["referent"].label_from_instance = lambda u: f"{u} ({u.structure})"

    def offer_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("structure", None)
        data["national_measure"] = data.get("national_measure") or NationalMeasure.NONE
        return data


class RightsFieldsMixin:
    """« Droits par défaut du rôle » or the rights ticked one by one; a ticked right is never silently dropped."""

    def add_rights_fields(self):
        self.fields["use_defaults"] = forms.BooleanField(
            label="Droits par défaut du rôle",
            help_text="Décochez pour choisir les droits un par un.",
            required=False,
        )
        self.fields["rights"] = forms.MultipleChoiceField(
            label="Droits",
            choices=[(v, label) for v, label in Right.choices if v not in NATIONAL_RIGHTS | REGIONAL_RIGHTS],
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )

    def check_rights(self, data):
        """Ticking or unticking rights while the role's defaults are chosen would be lost: say so."""
        if data.get("use_defaults") and data.get("rights") and "rights" in self.changed_data:
            role = data.get("role")
            if role and set(data["rights"]) != set(ROLE_RIGHTS[role]):
                self.add_error(
                    "rights",
                    "Vous avez modifié les droits cochés alors que « Droits par défaut du rôle » est coché : "
                    "décochez « Droits par défaut du rôle » pour choisir les droits un par un, ou gardez les droits "
                    "du rôle.",
                )
        return data

    def rights_value(self):
        return None if self.cleaned_data.get("use_defaults") else self.cleaned_data.get("rights", [])


class UserCreateForm(RightsFieldsMixin, DsfrBaseForm):
    username = forms.CharField(label="Identifiant", max_length=150)
    first_name = forms.CharField(label="Prénom", max_length=150)
    last_name = forms.CharField(label="Nom", max_length=150)
    email = forms.EmailField(label="Adresse électronique", required=False)
    role = forms.ChoiceField(label="Rôle", choices=ROLE_CHOICES, initial=Role.COUNSELOR)
    password = forms.CharField(
        label="Mot de passe",
        help_text="12 caractères au moins, ni trop courant, ni entièrement numérique, ni proche de l'identifiant.",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        strip=False,
    )
    password_confirm = forms.CharField(
        label="Confirmation du mot de passe",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    def __init__(self, data=None, **kwargs):
        kwargs.setdefault("initial", {"use_defaults": True, "rights": sorted(ROLE_RIGHTS[Role.COUNSELOR])})
        super().__init__(data, **kwargs)
        self.add_rights_fields()
        self.order_fields(["username", "first_name", "last_name", "email", "role", "use_defaults", "rights"])

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_confirm"):
            self.add_error("password_confirm", "Les deux mots de passe ne sont pas identiques.")
        return self.check_rights(data)


class UserRightsForm(RightsFieldsMixin, DsfrBaseForm):
    role = forms.ChoiceField(label="Rôle", choices=ROLE_CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_rights_fields()

    def clean(self):
        return self.check_rights(super().clean())


class ReassignForm(DsfrBaseForm):
    from_user = forms.ModelChoiceField(label="Conseiller qui quitte ses bénéficiaires", queryset=User.objects.none())
    to_user = forms.ModelChoiceField(label="Nouveau conseiller référent", queryset=User.objects.none())
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, structure, **kwargs):
        super().__init__(*args, **kwargs)
        staff = User.objects.filter(structure=structure).order_by("last_name", "first_name", "username")
        self.fields["from_user"].queryset = staff
        self.fields["to_user"].queryset = staff.filter(is_active=True)

    def clean(self):
        data = super().clean()
        if data.get("from_user") and data.get("from_user") == data.get("to_user"):
            self.add_error("to_user", "Choisissez un autre conseiller que celui qui quitte ses bénéficiaires.")
        return data


class StructureSettingsForm(DsfrBaseForm):
    distinguishes_phases = forms.BooleanField(
        label="La structure distingue les phases 2 et 3 du dispositif CEP", required=False
    )


class DirectoryEntryForm(DsfrBaseForm):
    """La fiche de la structure dans l'annuaire (issue 11): what other structures read to orient a person to it."""

    served_departments = forms.CharField(
        label="Départements desservis",
        help_text="Numéros des départements, séparés par des virgules ou des espaces (par exemple : 69, 01, 38). "
        "Laissez vide : le département de la structure.",
        required=False,
        max_length=1000,
    )
    public = forms.CharField(
        label="Public accueilli",
        help_text="Par exemple : jeunes de 16 à 25 ans, demandeurs d'emploi, personnes en emploi.",
        required=False,
        max_length=255,
    )
    contact_email = forms.EmailField(label="Courriel de contact", required=False, max_length=254)
    contact_phone = forms.CharField(label="Téléphone de contact", required=False, max_length=20)
    address = forms.CharField(label="Adresse", required=False, max_length=255)

    @staticmethod
    def initial_of(structure: Structure, served_codes) -> dict:
        return {
            "served_departments": ", ".join(served_codes),
            "public": structure.public,
            "contact_email": structure.contact_email,
            "contact_phone": structure.contact_phone,
            "address": structure.address,
        }

    def clean_served_departments(self) -> list[str]:
        """« 69, 1 ; 38 » → ["01", "38", "69"]: a one-digit number is a département of metropolitan France."""
        words = [w for w in re.split(r"[\s,;]+", self.cleaned_data.get("served_departments") or "") if w]
        return [w.zfill(2) if w.isdigit() and len(w) == 1 else w.upper() for w in words]

    def entry_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields}
