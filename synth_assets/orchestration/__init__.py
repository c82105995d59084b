"""The Dagster layer, and the only one: assets, checks, jobs, automation and resources that wire
the plain functions of the domain packages into the code location (`definitions.py`)."""
