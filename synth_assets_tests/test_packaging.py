"""`pip install .` works, not only an editable install: the wheel holds the package and the SQL
models of the top-level `dbt_like_sql/`, and the code location loads from it alone."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from synth_assets_tests.support.paths import PROJECT_DATA, ROOT

SOURCES = ("pyproject.toml", "setup.py", "README.md", "synth_assets", "dbt_like_sql")
LOAD = """
import synth_assets, synth_assets.storage.sql_files as sql_files
from synth_assets.orchestration.definitions import defs
keys = {k.to_user_string() for k in defs().resolve_asset_graph().get_all_asset_keys()}
print(synth_assets.__file__)
print(sql_files.SQL_DIR)
print(" ".join(sorted(keys)))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from a copy of the sources (the checkout stays clean), as pip would build it."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    build = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(src)]
    subprocess.run(build, check=True, capture_output=True, text=True, timeout=300)
    [built] = out.glob("synth_assets-*.whl")
    return built


def test_the_wheel_ships_the_sql_models_and_no_tests(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {Path(n).name for n in names if n.startswith("synth_assets/dbt_like_sql/")}
    assert shipped == {p.name for p in (ROOT / "dbt_like_sql").rglob("*.sql")}
    assert not [n for n in names if n.startswith("synth_assets_tests")]
    assert "synth_assets/orchestration/definitions.py" in names


def test_the_code_location_loads_from_the_installed_wheel(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    install = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)]
    subprocess.run(install, check=True, capture_output=True, text=True, timeout=300)
    for part in ("seeds", "heldout"):
        shutil.copytree(PROJECT_DATA / part, tmp_path / "data" / part)
    shutil.copy(PROJECT_DATA / "experiments.yaml", tmp_path / "data")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site), "HOME": str(tmp_path)}  # data: ./data, the default
    out = subprocess.run(
        [sys.executable, "-c", LOAD], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    package, sql_dir, keys = out.stdout.splitlines()
    assert Path(package).is_relative_to(site) and Path(sql_dir).is_relative_to(site)
    assert {"round_summary", "lineage_summary", "final_mix", "collapse_report"} <= set(keys.split())
