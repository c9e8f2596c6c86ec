"""Regional monitoring of the CEP by the Transitions Pro associations ([002]): the yearly exercise of a région,
its calendar, the meetings with the région's CEP operators, the cooperation log and the report's workflow.

Never reads personal data: the module stores no beneficiary (docs/regles-cep.md, « Suivi régional »)."""
