from django.apps import AppConfig


class Config(AppConfig):
    name = "cep.referentials"
    label = "referentials"
