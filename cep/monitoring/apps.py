from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "cep.monitoring"
    label = "monitoring"
    verbose_name = "Suivi régional du CEP (Transitions Pro)"
    default_auto_field = "django.db.models.BigAutoField"
