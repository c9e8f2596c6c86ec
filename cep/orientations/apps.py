from django.apps import AppConfig


class OrientationsConfig(AppConfig):
    name = "cep.orientations"
    verbose_name = "Orientations entre structures"
