"""A lake whose catalog cannot be reached: no PostgreSQL needed to see how that fails."""

from pathlib import Path

import pytest

from synth_assets.storage.warehouse import Lake, WarehouseError, connect_lake


def test_a_catalog_that_cannot_be_reached_is_one_line_without_the_url(tmp_path: Path) -> None:
    secret = "postgresql://synth:hunter2@127.0.0.1:1/none"
    with pytest.raises(WarehouseError) as caught:
        connect_lake(Lake(secret, str(tmp_path / "lake")))
    assert "hunter2" not in str(caught.value) and "\n" not in str(caught.value)
