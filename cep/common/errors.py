"""Refusals of the services: one rule broken (RuleViolation), or several found by the same action at once."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager


class RuleViolation(Exception):
    """A refused action: carries the rule id (R1…R12, or another named rule, see docs/regles-cep.md), a French
    message, the field at fault (if one is) and details (e.g. {"cep_id": 12}: the existing CEP that R2 protects).

    `violations` lists every rule the action broke (one submission shows them all): the exception's own `rule`,
    `message`, `field` and `details` are those of the first, so code reading a single refusal keeps working.
    """

    def __init__(self, rule: str, message: str, field: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.rule, self.message, self.field, self.details = rule, message, field, details
        self.violations: list[RuleViolation] = [self]

    def __repr__(self):
        return f"RuleViolation({self.rule!r}, {self.message!r}, field={self.field!r}, details={self.details!r})"


class RuleViolations(RuleViolation):
    """Several rules broken by one action, in the order they were checked (never empty)."""

    def __init__(self, violations: Iterable[RuleViolation]):
        found = [single for violation in violations for single in violation.violations]
        if not found:
            raise ValueError("RuleViolations needs at least one violation")
        first = found[0]
        super().__init__(first.rule, first.message, first.field, first.details)
        self.violations = found

    def __str__(self):
        return " ".join(v.message for v in self.violations)

    def __repr__(self):
        return f"RuleViolations({self.violations!r})"


class Violations:
    """Collects the refusals of one action before raising them together.

    found = Violations()
    with found.check():
        check_dates(...)          # a RuleViolation raised here is kept, the next check still runs
    found.add("R4", "…", field="entry_date")
    found.raise_if_any()          # nothing written yet: raise them all
    """

    def __init__(self):
        self.found: list[RuleViolation] = []

    def __bool__(self):
        return bool(self.found)

    def add(self, rule: str, message: str, field: str | None = None, details: dict | None = None) -> None:
        self.found.append(RuleViolation(rule, message, field=field, details=details))

    def on(self, field: str) -> bool:
        """Whether a refusal already concerns `field` (a later check of the same field would repeat it)."""
        return any(v.field == field for v in self.found)

    @contextmanager
    def check(self) -> Iterator[None]:
        try:
            yield
        except RuleViolation as violation:
            self.found.extend(violation.violations)

    def raise_if_any(self) -> None:
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise RuleViolations(self.found)
