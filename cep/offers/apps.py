from django.apps import AppConfig


class Config(AppConfig):
    name = "cep.offers"
    label = "offers"
