"""Human-authored seed data: loading, validation and the round-0 pool."""
