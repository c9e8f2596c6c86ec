import pytest

from cep.audit.models import AuditEntry
from cep.plans import services
from cep.plans.models import ActionPlan, FinancingLine, PlanStep, PlanVersion, TrainingCourse


@pytest.fixture
def cep(open_cep):
    return open_cep()


@pytest.fixture
def plan(cep, counselor):
    return services.create_plan(cep=cep, actor=counselor)


@pytest.fixture
def plan_state():
    """A fingerprint of everything a refused plan change must leave untouched."""

    def take():
        return (
            list(ActionPlan.objects.order_by("pk").values()),
            list(PlanStep.objects.order_by("pk").values()),
            list(TrainingCourse.objects.order_by("pk").values()),
            list(FinancingLine.objects.order_by("pk").values()),
            PlanVersion.objects.count(),
            AuditEntry.objects.count(),
        )

    return take
