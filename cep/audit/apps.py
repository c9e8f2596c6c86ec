from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class Config(AppConfig):
    name = "cep.audit"
    label = "audit"

    def ready(self):
        from . import receivers

        pre_migrate.connect(receivers.refuse_migrate_without_owner, sender=self, dispatch_uid="audit_migrate_owner")
        post_migrate.connect(receivers.restrict_history_grants, sender=self, dispatch_uid="audit_history_grants")
