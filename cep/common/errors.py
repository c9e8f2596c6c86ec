class RuleViolation(Exception):
    """A refused action: carries the rule id (R1…R12, or another named rule) and a French message."""

    def __init__(self, rule: str, message: str, field: str | None = None):
        super().__init__(message)
        self.rule, self.message, self.field = rule, message, field

    def __repr__(self):
        return f"RuleViolation({self.rule!r}, {self.message!r}, field={self.field!r})"
