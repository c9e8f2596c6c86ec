from django.apps import AppConfig


class Config(AppConfig):
    name = "cep.plans"
    label = "plans"
    verbose_name = "Plans d'action et documents remis"
