"""Model: the typed, immutable records every later stage reads, and what is computed from them
(crowd levels and warnings, data quality)."""
