"""Benchmarks of the project against its peers (``python -m benchmarks.<name>``)."""
