"""Provenance as queries: where each stage's rows come from, and the ancestry of any row back to
the human seeds."""
