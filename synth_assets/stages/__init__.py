"""One module per pipeline stage: DataFrames in, DataFrame out, no Dagster.

The assets in `synth_assets.orchestration.assets` only wire these to partitions, storage and metadata.
"""
