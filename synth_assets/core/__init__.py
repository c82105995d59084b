"""Building blocks every part of the pipeline shares: stable ids and hashes, derived seeds, the
user turn of a task, training texts, the Kneser-Ney n-gram model and the ROUGE-L core.

A leaf: it imports nothing else of synth_assets, so the feature packages (generate, verify,
filters, mix, collapse, llm, ...) can all use it without depending on each other. A test holds
the package graph acyclic.
"""
