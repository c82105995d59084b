"""Dagster assets: thin wiring from partitions and storage to the plain stage functions."""
