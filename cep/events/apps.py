from django.apps import AppConfig


class Config(AppConfig):
    name = "cep.events"
    label = "events"
