from django.apps import AppConfig


class Config(AppConfig):
    name = "cep.retention"
    label = "retention"
    verbose_name = "Durée de conservation"
