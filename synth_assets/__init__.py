"""synth-assets: a Dagster code location for synthetic LLM training data, round by round."""

__version__ = "0.1.0"
