from django.apps import AppConfig


class Config(AppConfig):
    name = "cep.reporting"
    label = "reporting"
