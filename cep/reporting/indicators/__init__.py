"""The common indicators (docs/regles-cep.md §8, §9): aggregate tables and their refresh, audiences, dashboard data,
small-cell suppression and the observers' yearly secret. Never imports cep.reporting.exports."""
