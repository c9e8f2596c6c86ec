from django.apps import AppConfig


class Config(AppConfig):
    name = "cep.enrolments"
    label = "enrolments"
