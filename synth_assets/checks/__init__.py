"""Data-quality suites (Great Expectations) for every stage table."""
