from django.apps import AppConfig


class Config(AppConfig):
    name = "cep.imports"
    label = "imports"
    verbose_name = "Imports de fichiers"
