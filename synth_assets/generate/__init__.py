"""Prompting and parsing for the generation stages (Self-Instruct tasks, chain-of-thought traces)."""
