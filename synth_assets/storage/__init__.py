"""Where stage tables live: the DuckDB IO manager and reads across rounds."""
