"""The cooperation themes and the national calendar of the 2022 exercise, verbatim from [002]."""

from django.db import migrations

from cep.monitoring.data import CALENDAR_2022, COOPERATION_THEMES, SOURCE


def load(apps, schema_editor):
    theme = apps.get_model("monitoring", "CooperationTheme")
    for position, (code, label) in enumerate(COOPERATION_THEMES):
        theme.objects.update_or_create(
            code=code, defaults={"label": label, "position": position, "source": "[002] Le périmètre du suivi"}
        )
    milestone = apps.get_model("monitoring", "NationalMilestone")
    for position, (code, kind, label, due_on, due_label, reached_by) in enumerate(CALENDAR_2022):
        milestone.objects.update_or_create(
            exercise_year=2022,
            code=code,
            defaults={
                "kind": kind,
                "label": label,
                "due_on": due_on,
                "due_label": due_label,
                "reached_by": reached_by,
                "position": position,
                "source": SOURCE,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
