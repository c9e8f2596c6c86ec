"""Monthly aggregate tables for the indicators (owned by the indicators helper)."""
