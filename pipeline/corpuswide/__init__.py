"""Decisions that need the whole corpus: language identification, near-duplicates, outlet
boilerplate."""
