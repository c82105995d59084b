"""What pyproject.toml cannot say: the SQL models live in the top-level `dbt_like_sql/` (the
layout is fixed) and ship inside the wheel as the package data `synth_assets/dbt_like_sql/`."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["synth_assets*"], exclude=["synth_assets_tests*"]), "synth_assets.dbt_like_sql"],
    package_dir={"synth_assets.dbt_like_sql": "dbt_like_sql"},
)
