"""Rendez-vous form (Suivi › Rendez-vous): day, time, duration, mode, place, counselor, object."""

import datetime

from django import forms
from django.utils import timezone

from cep.appointments.models import MAX_DURATION, MIN_DURATION
from cep.common.dates import today
from cep.referentials.models import AppointmentMode, ReceptionPlace

from .base import DateField, PortalForm
from .beneficiaries import StaffChoiceField, structure_staff
from .ceps import RefChoiceField

DURATIONS = [(15, "15 min"), (30, "30 min"), (45, "45 min"), (60, "1 h"), (90, "1 h 30"), (120, "2 h")]


class AppointmentForm(PortalForm):
    day = DateField(label="Date")
    time = forms.TimeField(
        label="Heure",
        help_text="Format attendu : hh:mm",
        input_formats=["%H:%M", "%Hh%M", "%H:%M:%S"],
        widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M"),
        error_messages={"invalid": "Saisissez une heure valide (hh:mm)."},
    )
    duration = forms.TypedChoiceField(label="Durée", choices=DURATIONS, coerce=int, initial=45)
    mode = RefChoiceField(label="Modalité", queryset=AppointmentMode.objects.none())
    place = RefChoiceField(
        label="Lieu",
        queryset=ReceptionPlace.objects.none(),
        required=False,
        help_text="Pour un rendez-vous en présentiel",
    )
    counselor = StaffChoiceField(label="Conseiller", queryset=structure_staff(None))
    subject = forms.CharField(
        label="Objet",
        required=False,
        max_length=255,
        help_text="Visible dans le dossier seulement (pas dans l'agenda partagé)",
        widget=forms.TextInput(attrs={"maxlength": 255}),
        error_messages={"max_length": "L'objet ne dépasse pas 255 caractères (%(show_value)d saisis)."},
    )

    def __init__(self, *args, structure_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mode"].queryset = AppointmentMode.objects.valid_on(today())
        self.fields["place"].queryset = ReceptionPlace.objects.valid_on(today()).exclude(code="domicile")
        self.fields["place"].empty_label = "Aucun (à distance)"
        self.fields["counselor"].for_structure(structure_id, "Sélectionnez une option")

    def clean_duration(self):
        value = self.cleaned_data["duration"]
        if not MIN_DURATION <= value <= MAX_DURATION:
            raise forms.ValidationError("La durée d'un rendez-vous va de 5 minutes à 8 heures.")
        return value

    def service_fields(self) -> dict:
        data = self.cleaned_data
        starts_at = timezone.make_aware(datetime.datetime.combine(data["day"], data["time"]))
        return {
            "starts_at": starts_at,
            "duration": data["duration"],
            "mode": data["mode"],
            "place": data["place"],
            "counselor": data["counselor"],
            "subject": data["subject"],
        }


def appointment_initial(user) -> dict:
    return {"day": today(), "duration": 45, "mode": "presentiel", "place": "siege", "counselor": user.pk}
