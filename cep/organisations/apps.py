from django.apps import AppConfig


class Config(AppConfig):
    name = "cep.organisations"
    label = "organisations"
