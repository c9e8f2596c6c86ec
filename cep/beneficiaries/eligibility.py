"""Who may receive a CEP (docs/regles-cep.md §2 « Eligibility »). Returns reasons, never raises."""

import datetime
from dataclasses import dataclass


@dataclass(frozen=True)
class Ineligibility:
    code: str
    message: str
    field: str = "employment_status"  # the dossier's field at fault: birth_date (age) or employment_status


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def ineligibility_reasons(beneficiary, network, on: datetime.date) -> list[Ineligibility]:
    reasons = []
    status = beneficiary.employment_status
    if status is not None and status.requires_job_holding_or_seeking and not beneficiary.holds_or_seeks_job:
        reasons.append(
            Ineligibility(
                "not_active",
                f"Un {status.label.lower()} n'est éligible au CEP que s'il occupe ou recherche un emploi.",
            )
        )
    if network is not None:
        age = age_on(beneficiary.birth_date, on)
        if network.min_age is not None and age < network.min_age:
            reasons.append(
                Ineligibility(
                    "too_young",
                    f"Le réseau {network.short_label or network.label} accompagne les personnes de "
                    f"{network.min_age} à {network.max_age} ans ; cette personne a {age} ans.",
                    "birth_date",
                )
            )
        if network.max_age is not None and age > network.max_age:
            reasons.append(
                Ineligibility(
                    "too_old",
                    f"Le réseau {network.short_label or network.label} accompagne les personnes de "
                    f"{network.min_age} à {network.max_age} ans ; cette personne a {age} ans.",
                    "birth_date",
                )
            )
        if network.excludes_public_agents and status is not None and status.is_public_agent:
            reasons.append(
                Ineligibility(
                    "public_agent",
                    f"Le réseau {network.short_label or network.label} n'accompagne pas les agents publics.",
                )
            )
    return reasons
