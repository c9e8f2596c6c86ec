"""The monthly national file (docs/regles-cep.md §8): batches, lines, interface contract, validation, pseudonyms,
received files and the background job. Never imports cep.reporting.indicators."""
