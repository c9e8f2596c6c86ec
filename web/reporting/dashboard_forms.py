"""The dashboard's filters: framework (2019 / 2014), period (month range), région and network (national view)."""

import datetime

from django import forms
from dsfr.forms import DsfrBaseForm

from cep.common.dates import add_months
from cep.organisations.models import Region
from cep.referentials.models import Network
from cep.reporting.indicators import FRAMEWORKS, MAX_MONTHS, default_period, months_between
from cep.reporting.indicators_refresh import parse_month


class MonthField(forms.CharField):
    widget = forms.DateInput(attrs={"type": "month"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return parse_month(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc))


class DashboardFilters(DsfrBaseForm):
    referentiel = forms.ChoiceField(
        label="Cadre de lecture",
        choices=[(code, fw.label) for code, fw in FRAMEWORKS.items()],
        initial="2019",
        required=False,
    )
    debut = MonthField(label="Du mois (AAAA-MM)", required=False)
    fin = MonthField(label="Au mois (AAAA-MM)", required=False)
    region = forms.ModelChoiceField(
        label="Région", queryset=Region.objects.order_by("name"), required=False, empty_label="Toutes les régions"
    )
    reseau = forms.ModelChoiceField(
        label="Réseau",
        queryset=Network.objects.order_by("position", "label"),
        required=False,
        empty_label="Tous les réseaux",
        to_field_name="code",
    )

    def __init__(self, *args, can_filter: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_filter:
            del self.fields["region"], self.fields["reseau"]

    def clean(self):
        data = super().clean()
        default_start, default_end = default_period()
        start, end = data.get("debut"), data.get("fin")
        if start and not end:
            end = min(add_months(start, 11), default_end)
        if end and not start:
            start = add_months(end, -11)
        start, end = start or default_start, end or default_end
        if end < start:
            self.add_error("fin", "Le mois de fin doit suivre le mois de début.")
        elif len(months_between(start, end)) > MAX_MONTHS:
            self.add_error("debut", f"La période est limitée à {MAX_MONTHS} mois.")
        data["debut"], data["fin"] = start, end
        data["referentiel"] = data.get("referentiel") or "2019"
        return data

    def values(self) -> dict:
        """Valid values, or the defaults for the fields in error (the page still shows, with the errors)."""
        data = getattr(self, "cleaned_data", {}) or {}
        default_start, default_end = default_period()
        start, end = data.get("debut") or default_start, data.get("fin") or default_end
        if self.errors.get("debut") or self.errors.get("fin") or end < start:
            start, end = default_start, default_end
        return {
            "framework": data.get("referentiel") or "2019",
            "start": start,
            "end": end,
            "region": data.get("region"),
            "network": data.get("reseau"),
        }

    def query_string(self) -> str:
        """The same filters, for the download links."""
        from urllib.parse import urlencode

        v = self.values()
        params = {"referentiel": v["framework"], "debut": f"{v['start']:%Y-%m}", "fin": f"{v['end']:%Y-%m}"}
        if v.get("region"):
            params["region"] = v["region"].pk
        if v.get("network"):
            params["reseau"] = v["network"].code
        return urlencode(params)


def month_input(day: datetime.date) -> str:
    return f"{day:%Y-%m}"
