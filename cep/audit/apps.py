from django.apps import AppConfig


class Config(AppConfig):
    name = "cep.audit"
    label = "audit"
