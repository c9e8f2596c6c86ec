from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "cep.demo"
    label = "demo"
    verbose_name = "Données de démonstration"
