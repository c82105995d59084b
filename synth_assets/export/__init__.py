"""Training files: SFT conversations and DPO preference pairs, as JSONL and Parquet."""
