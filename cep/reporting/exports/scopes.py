"""The scope of a monthly file: one structure, an operator's structures, or the nation."""

from dataclasses import dataclass

from .models import ExportBatch, Scope


@dataclass(frozen=True)
class ExportScope:
    scope: str
    structure_id: int | None = None
    operator_id: int | None = None

    @classmethod
    def of(cls, batch: ExportBatch) -> "ExportScope":
        return cls(batch.scope, batch.structure_id, batch.operator_id)

    def structure_ids(self) -> list[int]:
        from cep.organisations.models import Structure

        if self.scope == Scope.STRUCTURE:
            return [self.structure_id]
        qs = Structure.objects.all()
        if self.scope == Scope.OPERATOR:
            qs = qs.filter(operator_id=self.operator_id)
        return sorted(qs.values_list("pk", flat=True))

    @property
    def national(self) -> bool:
        return self.scope == Scope.NATIONAL

    @property
    def suffix(self) -> str:
        if self.scope == Scope.STRUCTURE:
            return f"structure-{self.structure_id}"
        if self.scope == Scope.OPERATOR:
            return f"operateur-{self.operator_id}"
        return "national"

    def batches(self):
        return ExportBatch.objects.filter(
            scope=self.scope, structure_id=self.structure_id, operator_id=self.operator_id
        )
