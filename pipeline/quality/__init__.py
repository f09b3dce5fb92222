"""Validation of the published tables: corpus invariants, distribution gates, the Great
Expectations adapter and the offline Data Docs."""
