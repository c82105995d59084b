"""Dagster resources, in one place: the generator (models per role), the pipeline config (the
experiments file, read once per process) and `build_resources`, which picks a deployment's
storage and credentials from the settings."""
