"""Data contracts: the Great Expectations suites every stage table must pass."""
