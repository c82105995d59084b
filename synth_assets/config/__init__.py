"""What a deployment and an experiment are: typed settings from the environment, the experiments
file, the Dagster instance file, and reading user files with errors that name file and line."""
