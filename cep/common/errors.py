class RuleViolation(Exception):
    """A refused action: carries the rule id (R1…R12, or another named rule, see docs/regles-cep.md), a French
    message, the field at fault (if one is) and details (e.g. {"cep_id": 12}: the existing CEP that R2 protects)."""

    def __init__(self, rule: str, message: str, field: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.rule, self.message, self.field, self.details = rule, message, field, details

    def __repr__(self):
        return f"RuleViolation({self.rule!r}, {self.message!r}, field={self.field!r}, details={self.details!r})"
