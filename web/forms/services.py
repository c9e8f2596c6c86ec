"""Offer search and « Proposer » from the dossier (Suivi › Services)."""

from django import forms

from cep.offers.models import NationalMeasure, OfferKind
from cep.referentials.models import ServiceAct, ServiceTheme

from .base import DateField, PortalForm


class OfferSearchForm(PortalForm):
    q = forms.CharField(
        label="Nom, type, thème, contrat, mesure, acte de service, partenaire", required=False, max_length=100
    )
    kind = forms.ChoiceField(label="Type d'offre", choices=OfferKind.choices, required=False)
    theme = forms.ModelChoiceField(label="Thème", queryset=ServiceTheme.objects.all(), required=False)
    service_act = forms.ModelChoiceField(label="Acte de service", queryset=ServiceAct.objects.all(), required=False)
    measure = forms.ChoiceField(
        label="Mesure nationale", required=False, choices=[("", "Toutes"), ("cep", "CEP"), ("none", "Aucune")]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theme"].empty_label = "Tous"
        self.fields["service_act"].empty_label = "Tous"

    def filters(self) -> dict:
        data = self.cleaned_data
        measure = {"cep": NationalMeasure.CEP, "none": NationalMeasure.NONE}.get(data.get("measure") or "")
        return {
            "text": data.get("q") or "",
            "kind": data.get("kind") or OfferKind.INTERNAL,
            "theme": data["theme"].pk if data.get("theme") else "",
            "service_act": data["service_act"].pk if data.get("service_act") else "",
            "national_measure": measure,
        }


class ProposeForm(PortalForm):
    proposed_on = DateField(label="Date de proposition")
    comment = forms.CharField(
        label="Commentaire de la proposition",
        required=False,
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 255}),
        error_messages={"max_length": "Le commentaire ne dépasse pas 255 caractères (%(show_value)d saisis)."},
    )
