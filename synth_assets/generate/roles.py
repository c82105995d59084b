"""What a role's config adds to every request a stage builds."""

from __future__ import annotations

from dataclasses import replace

from synth_assets.config.experiments import BackendConfig
from synth_assets.llm.base import GenerationRequest


def with_role(request: GenerationRequest, cfg: BackendConfig, sample_index: int = 0) -> GenerationRequest:
    """The configured system prompt replaces the stage's own; `sample_index` keeps the k samples
    of one prompt apart in the cache even on APIs that ignore seeds."""
    return replace(request, system=cfg.system_prompt or request.system, sample_index=sample_index)
