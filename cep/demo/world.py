"""The small, fixed part of the demo: operators, structures, staff and offers (ORM, idempotent, by natural keys)."""

import datetime

from django.db.models import Max
from django.utils.text import slugify
from faker import Faker

from cep.accounts.models import User
from cep.accounts.rights import Role
from cep.common.dates import add_months, today
from cep.offers.models import NationalMeasure, OfferKind, OfferOrigin, OfferState, ServiceOffer
from cep.organisations.models import Commune, Department, Operator, Structure
from cep.referentials.models import EventDirection, EventNature

from . import catalogue as cat
from .population import TABLES, World, name_pools

# Generated staff cannot log in (Django's unusable-password marker); demo_accounts sets the demo password.
UNUSABLE_PASSWORD = "!demo-compte-sans-mot-de-passe"


def counselors_for(expected_beneficiaries: float) -> int:
    return max(2, min(40, round(expected_beneficiaries / 400)))


def build_world(
    *, beneficiaries: int, seed: int, months: int, day: datetime.date | None = None, full_history: bool = True
) -> World:
    day = day or today()
    fake = Faker("fr_FR")
    fake.seed_instance(seed + 1)
    weights = [
        cat.NETWORK_WEIGHTS[net] / sum(1 for _, n, _ in cat.STRUCTURES if n == net) * cat.HEAVY_STRUCTURES.get(name, 1)
        for name, net, _ in cat.STRUCTURES
    ]
    total = sum(weights)
    departments = {d.code: d for d in Department.objects.filter(code__in={d for _, _, d in cat.STRUCTURES})}
    offers_start = add_months(day, -months - 12)
    demo_by_structure = {}
    for username, (structure_name, role, first, last) in cat.DEMO_STAFF.items():
        demo_by_structure.setdefault((structure_name, role), []).append((username, first, last))

    infos, cumulative, running = [], [], 0.0
    for (name, network, dept_code), weight in zip(cat.STRUCTURES, weights, strict=True):
        department = departments[dept_code]
        region_label = cat.REGIONS[department.region_id]
        operator, _ = Operator.objects.get_or_create(
            name=cat.OPERATOR_NAMES[network].format(region=region_label),
            defaults={"network_id": network, "region_id": department.region_id},
        )
        structure, _ = Structure.objects.get_or_create(
            name=name,
            defaults={
                "operator": operator,
                "network_id": network,
                "department": department,
                "region_id": department.region_id,
            },
        )
        slug = slugify(name)
        generated_manager = (f"responsable.{slug}", fake.first_name(), fake.last_name())
        manager = _staff(structure, Role.MANAGER, demo_by_structure.get((name, Role.MANAGER)) or [generated_manager])
        wanted = counselors_for(beneficiaries * weight / total)
        people = demo_by_structure.get((name, Role.COUNSELOR), []) + [
            (f"conseiller.{slug}.{k:02d}", fake.first_name(), fake.last_name()) for k in range(1, wanted + 1)
        ]
        counselors = _staff(structure, Role.COUNSELOR, people[:wanted])
        level1, complementary = _offers(structure, manager[0][0], offers_start)
        communes = list(
            Commune.objects.filter(department=department, population__gt=0)
            .order_by("code")
            .values_list("code", "population")
        )
        commune_weights, acc = [], 0
        for _, population in communes:
            acc += population
            commune_weights.append(acc)
        running += weight
        cumulative.append(running)
        infos.append(
            _info(structure, network, dept_code, department.region_id, counselors, manager[0], level1, complementary)
        )
        infos[-1].communes = [code for code, _ in communes]
        infos[-1].commune_weights = commune_weights
    _regional_offers(offers_start)
    last, female, male = name_pools(seed)
    return World(
        seed=seed,
        today=day,
        months=months,
        structures=infos,
        structure_weights=cumulative,
        bases=next_ids(),
        last_names=last,
        female_names=female,
        male_names=male,
        full_history=full_history,
        now=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S") if day >= today() else "",
        manifestations=manifestation_pairs(),
    )


def manifestation_pairs() -> frozenset[tuple[str, str]]:
    """R9: the (sens, nature) pairs that make an event a manifestation of the person, read from the referentials."""
    return frozenset(
        (direction.code, nature.code)
        for direction in EventDirection.objects.all()
        for nature in EventNature.objects.all()
        if direction.is_from_person or (direction.is_with_person and nature.is_live_contact)
    )


def next_ids() -> dict:
    from django.apps import apps

    bases = {}
    for table in TABLES:
        model = next(m for m in apps.get_models() if m._meta.db_table == table)
        bases[table] = (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    return bases


def _info(structure, network, dept, region, counselors, manager, level1, complementary):
    from .population import StructureInfo

    return StructureInfo(
        id=structure.pk,
        name=structure.name,
        network=network,
        department=dept,
        region=region,
        counselors=counselors,
        manager=manager,
        level1_offers=level1,
        complementary_offers=complementary,
    )


def _staff(structure, role, people) -> list[tuple[int, str]]:
    """Get or create the users, in the given order: [(id, « Prénom Nom »)]."""
    existing = {u.username: u for u in User.objects.filter(username__in=[p[0] for p in people])}
    missing = [
        User(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@demo.cep.example",
            role=role,
            structure=structure,
            password=UNUSABLE_PASSWORD,
        )
        for username, first, last in people
        if username not in existing
    ]
    if missing:
        User.objects.bulk_create(missing)
        existing.update({u.username: u for u in User.objects.filter(username__in=[p[0] for p in people])})
    return [(existing[p[0]].pk, str(existing[p[0]])) for p in people]


def _offers(structure, referent_id, start) -> tuple[list, list]:
    """The structure's level-1 CEP offers (one per national level-1 act) and complementary offers."""
    from cep.referentials.models import ServiceAct

    labels = dict(ServiceAct.objects.values_list("code", "label"))
    wanted = [(f"CEP niveau 1 – {labels[act]}", act, theme, "", True) for act, theme in cat.LEVEL1_OFFERS]
    wanted += [(name, act, theme, partner, False) for act, theme, name, partner in cat.COMPLEMENTARY_OFFERS]
    existing = {o.name: o for o in ServiceOffer.objects.filter(structure=structure, name__in=[w[0] for w in wanted])}
    missing = [
        ServiceOffer(
            structure=structure,
            name=name,
            kind=OfferKind.INTERNAL if cep else OfferKind.DISPOSITIF,
            origin=OfferOrigin.STRUCTURE,
            theme_id=theme,
            service_act_id=act,
            offer_type="Accueil individualisé" if cep else "Prestation complémentaire",
            partner=partner,
            start_date=start,
            state=OfferState.PERMANENT,
            referent_id=referent_id,
            national_measure=NationalMeasure.CEP if cep else NationalMeasure.NONE,
        )
        for name, act, theme, partner, cep in wanted
        if name not in existing
    ]
    if missing:
        ServiceOffer.objects.bulk_create(missing)
        existing = {
            o.name: o for o in ServiceOffer.objects.filter(structure=structure, name__in=[w[0] for w in wanted])
        }
    level1 = [(existing[name].pk, act) for name, act, _, _, cep in wanted if cep]
    complementary = [(existing[name].pk, act) for name, act, _, _, cep in wanted if not cep]
    return level1, complementary


def _regional_offers(start):
    for region_code, label in cat.REGIONS.items():
        ServiceOffer.objects.get_or_create(
            structure=None,
            region_id=region_code,
            name=f"Information collective régionale sur le CEP – {label}",
            defaults={
                "kind": OfferKind.INTERNAL,
                "origin": OfferOrigin.OTHER,
                "theme_id": "projet_professionnel",
                "service_act_id": "info_conseil_formations",
                "regional_service_act": "Réunion d'information collective régionale",
                "offer_type": "Offre régionale",
                "start_date": start,
                "state": OfferState.PERMANENT,
                "national_measure": NationalMeasure.CEP,
            },
        )
