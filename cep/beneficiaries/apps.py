from django.apps import AppConfig


class Config(AppConfig):
    name = "cep.beneficiaries"
    label = "beneficiaries"
