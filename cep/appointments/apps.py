from django.apps import AppConfig


class Config(AppConfig):
    name = "cep.appointments"
    label = "appointments"
    verbose_name = "Rendez-vous"
