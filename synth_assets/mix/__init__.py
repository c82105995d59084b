"""Mixing human and synthetic rows by an experiment's regime."""
