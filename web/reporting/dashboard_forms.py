"""The dashboard's filters: framework (2019 / 2014), period, région or network (national view).

Structure managers and administrators choose a month range (debut / fin). Observers read one calendar year at
a time (annee; the current year up to its last complete month): fixed periods that never overlap, so that
no two views can be subtracted to uncover a month (see cep/reporting/indicators/observer_secret.py)."""

from django import forms
from dsfr.forms import DsfrBaseForm

from cep.common.dates import add_months
from cep.common.months import MONTHS_FR, last_complete_month, months_between, parse_month
from cep.organisations.models import Region
from cep.referentials.models import Network
from cep.reporting.indicators.dashboard_data import MAX_MONTHS, default_period, observer_period, observer_years
from cep.reporting.indicators.frameworks import FRAMEWORKS

MONTH_HINT = "Format : mm/aaaa"


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
    debut = MonthField(label="Du mois", help_text=MONTH_HINT, required=False)
    fin = MonthField(label="Au mois", help_text=MONTH_HINT, required=False)
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

    annee = forms.TypedChoiceField(label="Année", coerce=int, required=False, choices=[])

    def __init__(self, *args, can_filter: bool, observer: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.observer = observer
        if not can_filter:
            del self.fields["region"], self.fields["reseau"]
        if observer:
            # Kept as fields (never shown) only to be refused when sent: see clean().
            self.fields["debut"] = forms.CharField(required=False, widget=forms.HiddenInput)
            self.fields["fin"] = forms.CharField(required=False, widget=forms.HiddenInput)
            self.years = observer_years() or [last_complete_month().year]
            self.fields["annee"].choices = [(y, year_label(y)) for y in self.years]
            self.fields["annee"].initial = self.years[0]
            self.fields["annee"].error_messages["invalid_choice"] = (
                "Année non disponible : choisissez une des années proposées (paramètre annee=AAAA)."
            )
        else:
            del self.fields["annee"]

    def clean(self):
        data = super().clean()
        data["referentiel"] = data.get("referentiel") or "2019"
        if self.observer:
            if data.get("debut") or data.get("fin"):
                self.add_error(
                    None,
                    "Les observateurs lisent une année civile entière (paramètre annee=AAAA) : "
                    "les paramètres debut et fin ne sont pas acceptés.",
                )
            if data.get("region") and data.get("reseau"):
                self.add_error("reseau", "Choisissez une région ou un réseau, pas les deux à la fois.")
            return data
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
        return data

    def values(self) -> dict:
        """Valid values, or the defaults for the fields in error (the page still shows, with the errors)."""
        data = getattr(self, "cleaned_data", {}) or {}
        values = {"framework": data.get("referentiel") or "2019", "region": data.get("region"),
                  "network": data.get("reseau")}  # fmt: skip
        if self.observer:
            year = data.get("annee") if not self.errors.get("annee") else None
            values["start"], values["end"] = observer_period(year or self.years[0])
            if self.errors.get("reseau"):
                values["region"] = values["network"] = None
            return values
        default_start, default_end = default_period()
        start, end = data.get("debut") or default_start, data.get("fin") or default_end
        if self.errors.get("debut") or self.errors.get("fin") or end < start:
            start, end = default_start, default_end
        return {**values, "start": start, "end": end}

    def query_string(self) -> str:
        """The same filters, for the download links."""
        from urllib.parse import urlencode

        v = self.values()
        if self.observer:
            params = {"annee": v["start"].year, "referentiel": v["framework"]}
        else:
            params = {"referentiel": v["framework"], "debut": f"{v['start']:%Y-%m}", "fin": f"{v['end']:%Y-%m}"}
        if v.get("region"):
            params["region"] = v["region"].pk
        if v.get("network"):
            params["reseau"] = v["network"].code
        return urlencode(params)


def year_label(year: int) -> str:
    """« 2025 », or « 2026 (cumul de janvier à octobre) » for the year in progress."""
    current = last_complete_month()
    if year == current.year and current.month != 12:
        return f"{year} (cumul de janvier à {MONTHS_FR[current.month - 1]})"
    return str(year)
