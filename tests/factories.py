"""factory-boy factories. Referential values come from the migrations (codes from cep/referentials/data.py)."""

import datetime

import factory
from factory.django import DjangoModelFactory

from cep.accounts.models import User
from cep.accounts.rights import Role
from cep.beneficiaries.models import Beneficiary, DossierStatus
from cep.organisations.models import Commune, Operator, Region, Structure
from cep.referentials import models as ref
from tests.clock import today


def refv(model, code):
    return model.objects.get(code=code)


class OperatorFactory(DjangoModelFactory):
    class Meta:
        model = Operator

    name = factory.Sequence(lambda n: f"Association régionale des Missions locales {n}")
    network_id = "ml"
    region_id = "94"


class StructureFactory(DjangoModelFactory):
    class Meta:
        model = Structure

    name = factory.Sequence(lambda n: f"Mission locale n°{n}")
    operator = factory.SubFactory(OperatorFactory)
    network_id = factory.SelfAttribute("operator.network_id")
    department_id = "2A"
    region_id = "94"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    role = Role.COUNSELOR
    structure = factory.SubFactory(StructureFactory)
    password = factory.django.Password("motdepasse-solide-123")


class BeneficiaryFactory(DjangoModelFactory):
    class Meta:
        model = Beneficiary

    structure = factory.SubFactory(StructureFactory)
    last_name = factory.Faker("last_name", locale="fr_FR")
    first_name = factory.Faker("first_name", locale="fr_FR")
    sex = "F"
    birth_date = factory.LazyFunction(lambda: today().replace(year=today().year - 20, day=1))
    commune = factory.LazyFunction(lambda: Commune.objects.get(code="2A004"))
    employment_status = factory.LazyFunction(lambda: refv(ref.EmploymentStatus, "demandeur_emploi_non_indemnise"))
    qualification_level = factory.LazyFunction(lambda: refv(ref.QualificationLevel, "niveau_4"))
    first_reception_date = factory.LazyFunction(lambda: today() - datetime.timedelta(days=400))
    status = DossierStatus.JUSTIFIED
    justified_at = factory.LazyFunction(lambda: datetime.datetime.now(datetime.UTC))


def region(code="94"):
    return Region.objects.get(code=code)


def withdraw(user, *rights):
    """The user keeps every right they hold but `rights` (stored as an explicit list, as a manager would)."""
    user.extra_rights = sorted(set(user.rights) - set(rights))
    user.save(update_fields=["extra_rights"])
    return user


def paris_at(hour: int, minute: int = 0, *, days: int = 0) -> datetime.datetime:
    """An aware datetime at hour:minute in Europe/Paris (the site's time zone), `days` from today."""
    from django.utils import timezone

    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))
