"""The resource builds the backend each role asks for, and says clearly what is missing."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from synth_assets.config.experiments import ConfigError, parse_experiments
from synth_assets.config.settings import Settings
from synth_assets.llm.llamacpp_backend import LlamaCppGenerator
from synth_assets.llm.remote_backend import RemoteBackend
from synth_assets.orchestration.resources.generator import GeneratorResource


def _experiment(**roles: dict) -> object:
    raw = {
        "prices": {"claude-x": {"input_per_mtok": 1.0, "output_per_mtok": 5.0}},
        "experiments": [{"name": "e", "regime": "replace", **roles}],
    }
    return parse_experiments(raw, "test.yaml").experiments[0]


def test_each_role_gets_its_own_backend_and_price(tmp_path: Path) -> None:
    exp = _experiment(
        generator={"backend": "anthropic", "model": "claude-x", "batch": True, "budget_usd": 1.0},
        judge={"backend": "openai", "model": "judge-model", "base_url": "http://127.0.0.1:9/v1"},
    )
    resource = GeneratorResource(cache_dir=str(tmp_path / "c"), api_keys={"ANTHROPIC_API_KEY": "sk-ant-abcdef"})
    generator, judge = resource.for_role(exp, "generator"), resource.for_role(exp, "judge")  # type: ignore[arg-type]
    assert isinstance(generator.backend, RemoteBackend) and generator.backend.batch
    assert generator.label == "anthropic:claude-x" and generator.price is not None
    assert generator.price.discount == 0.5 and generator.backend.policy.budget_usd == 1.0
    assert judge.label == "openai:judge-model" and not judge.backend.batch  # a self-hosted endpoint needs no key
    local = GeneratorResource(cache_dir=None, llamacpp_workers=2).for_role(_experiment(), "generator")  # type: ignore[arg-type]
    assert isinstance(local.backend, LlamaCppGenerator) and local.backend.raw_continuation and local.cache is None


def test_a_missing_key_names_the_variable() -> None:
    exp = _experiment(generator={"backend": "openai", "model": "gpt-x"})
    with pytest.raises(ConfigError, match="OPENAI_API_KEY is not set"):
        GeneratorResource(cache_dir=None).for_role(exp, "generator")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="has no `judge:` block"):
        GeneratorResource(cache_dir=None).for_role(exp, "judge")  # type: ignore[arg-type]


def test_a_budget_needs_a_price() -> None:
    with pytest.raises(
        ConfigError, match=r"experiments\[0\] \(e\): .*generator.budget_usd needs a price for model 'gpt-x'"
    ):
        _experiment(generator={"backend": "openai", "model": "gpt-x", "budget_usd": 5})


def test_keys_become_env_vars_only_when_the_environment_has_them() -> None:
    with_key = Settings.from_env({"OPENAI_API_KEY": "sk-1234", "SYNTH_DATA_DIR": "/tmp/x"})
    assert with_key.secret("OPENAI_API_KEY") == dg.EnvVar("OPENAI_API_KEY")
    assert with_key.secret("ANTHROPIC_API_KEY") is None
    assert "sk-1234" not in with_key.model_dump_json()
