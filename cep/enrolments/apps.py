from django.apps import AppConfig


class Config(AppConfig):
    name = "cep.enrolments"
    label = "enrolments"

    def ready(self) -> None:
        """Listen to the layers below (events, offers): see cep/enrolments/receivers.py."""
        from cep.events.models import Event
        from cep.events.signals import event_deleted, event_saved
        from cep.offers.models import Service
        from cep.offers.signals import service_proposing

        from . import receivers

        event_saved.connect(receivers.recompute_clock, sender=Event, dispatch_uid="enrolments.recompute_clock_saved")
        event_deleted.connect(
            receivers.recompute_clock, sender=Event, dispatch_uid="enrolments.recompute_clock_deleted"
        )
        service_proposing.connect(
            receivers.attach_cep_in_progress, sender=Service, dispatch_uid="enrolments.attach_cep_in_progress"
        )
