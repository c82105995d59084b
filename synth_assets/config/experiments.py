"""Experiment declarations (data/experiments.yaml), validated with errors naming file and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from synth_assets.config.input_files import UniqueKeyLoader, read_text_file
from synth_assets.core.neural_lm import NeuralConfig
from synth_assets.llm.backends import BACKENDS, STUDENT_BACKENDS
from synth_assets.llm.dispatch import DispatchPolicy
from synth_assets.verify.sandbox import SandboxPolicy


class ConfigError(ValueError):
    """Bad experiment configuration; the message names the file and the offending field."""


class _Strict(BaseModel):
    """No coercion (`rounds: yes` is not 1, `"8"` is not 8), no unknown keys, no inf or NaN."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class EndpointConfig(_Strict):
    """How hard to push a remote endpoint: what a generator, a judge and an embedding model
    served over HTTP share. Ignored by the models that run in this process."""

    base_url: str | None = Field(None, description="OpenAI-compatible endpoint (vLLM, Ollama, ...) or a proxy")
    concurrency: int = Field(8, ge=1, le=1024, description="requests in flight at the start")
    max_concurrency: int = Field(64, ge=1, le=1024)
    adaptive: bool = Field(True, description="grow concurrency while calls succeed, halve it on 429")
    requests_per_minute: float | None = Field(None, gt=0)
    tokens_per_minute: float | None = Field(None, gt=0)
    timeout_s: float = Field(120.0, gt=0, le=3600)
    max_retries: int = Field(6, ge=0, le=50)
    budget_usd: float | None = Field(None, ge=0, description="stop a materialization before it spends more")

    def dispatch_policy(self) -> DispatchPolicy:
        return DispatchPolicy(
            concurrency=self.concurrency,
            max_concurrency=self.max_concurrency,
            adaptive=self.adaptive,
            requests_per_minute=self.requests_per_minute,
            tokens_per_minute=self.tokens_per_minute,
            max_retries=self.max_retries,
            budget_usd=self.budget_usd,
        )


class BackendConfig(EndpointConfig):
    """One model role (generator or judge): which backend, which model, how to sample and how
    hard to push a remote endpoint. Remote-only knobs are ignored by the local backends."""

    backend: str = Field("llamacpp", description="a name in synth_assets.llm.backends.BACKENDS")
    model: str = "SmolLM2-135M-Instruct.Q4_1"
    system_prompt: str | None = None
    temperature: float = Field(0.9, ge=0.0, le=2.0)
    top_p: float = Field(0.95, gt=0.0, le=1.0)
    seed: int = Field(0, description="added to the experiment seed for this role's requests")
    batch: bool = Field(False, description="use the provider's batch API (half price, results within 24 h)")
    poll_interval_s: float = Field(30.0, gt=0, le=3600, description="first wait between batch polls; grows 1.5x")
    # Left out of dumps, so of the stages' config hashes: both paths give the same results.
    transport: Literal["wire", "sdk"] = Field(
        "wire",
        exclude=True,
        description="how online calls travel: 'wire' (aiohttp, a tenth of the SDK's client CPU per call, the "
        "SDK's headers and error classes) or 'sdk' (the official client end to end); the same results either way",
    )
    structured_output: bool | Literal["auto"] = Field(
        "auto",
        description="ask for JSON matching a schema wherever a stage parses the answer (a grammar on llama.cpp, "
        "a strict json_schema on OpenAI-compatible endpoints, a forced tool on Anthropic); 'auto': so, except "
        "that a local model continues a numbered list of tasks instead (it writes more tasks that way); false: "
        "free text read by patterns everywhere",
    )

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, name: str) -> str:
        if name not in BACKENDS:
            raise ValueError(f"unknown backend {name!r}; one of: {', '.join(BACKENDS)}")
        return name

    @property
    def label(self) -> str:
        return f"{self.backend}:{self.model}"

    @property
    def remote(self) -> bool:
        return BACKENDS[self.backend].remote


class EmbedderConfig(EndpointConfig):
    """The embedding model behind the semantic funnel steps and the embedding-space collapse
    metrics. Set it once under `defaults:`: rounds and experiments compare only in one space."""

    backend: Literal["wordllama", "sentence-transformers", "openai"] = Field(
        "wordllama", description="wordllama (packaged, offline), sentence-transformers (installed) or openai"
    )
    model: str = Field("l2_supercat_256", min_length=1, description="the model name or path for that backend")
    batch_size: int = Field(128, ge=1, le=2048, description="texts per /v1/embeddings request")
    dimensions: int | None = Field(None, ge=1, le=16384, description="ask the endpoint for shorter vectors")

    @model_validator(mode="after")
    def _model_fits_backend(self) -> EmbedderConfig:
        if self.backend == "wordllama" and self.model != "l2_supercat_256":
            raise ValueError("the packaged wordllama model is 'l2_supercat_256'; other models need another backend")
        return self

    @property
    def label(self) -> str:
        suffix = f"@{self.dimensions}" if self.dimensions else ""
        return f"{self.backend}:{self.model}{suffix}"

    @property
    def remote(self) -> bool:
        return self.backend == "openai"


class GeneratorConfig(BackendConfig):
    instruction_max_tokens: int = Field(160, ge=8, le=4096)
    trace_max_tokens: int = Field(128, ge=8, le=8192)


class JudgeConfig(BackendConfig):
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(256, ge=8, le=8192)


class ModelPrice(_Strict):
    """USD per million tokens, as the provider's price page lists them."""

    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)


MAX_TASKS = 1_000_000  # a round's tasks of one kind; 10^6 x k samples is already a very large round


class Sizes(_Strict):
    instructions_per_round: int = Field(8, ge=0, le=MAX_TASKS, description="general Self-Instruct tasks to request")
    math_problems_per_round: int = Field(4, ge=0, le=MAX_TASKS, description="new math word problems to request")
    reference_tasks_per_round: int = Field(
        6, ge=0, le=MAX_TASKS, description="pool tasks with ground truth to re-solve"
    )
    samples_per_task: int = Field(2, ge=1, le=64, description="k chain-of-thought samples per task")
    min_verified_per_task: int = Field(1, ge=1, le=64, description="verified traces wanted per task with a reference")
    max_attempts: int = Field(2, ge=1, le=20, description="rounds of k samples for tasks short of verified traces")
    in_context_examples: int = Field(8, ge=1, le=32)
    mix_size: int = Field(
        40, ge=1, le=10 * MAX_TASKS, description="training rows per round (N) for replace and fractions"
    )

    @model_validator(mode="after")
    def _a_round_makes_something(self) -> Sizes:
        if not (self.instructions_per_round or self.math_problems_per_round or self.reference_tasks_per_round):
            raise ValueError(
                "instructions_per_round, math_problems_per_round and reference_tasks_per_round are all 0: "
                "a round would generate nothing"
            )
        return self


class FilterConfig(_Strict):
    rouge_threshold: float = Field(0.7, gt=0.0, le=1.0)
    min_words: int = Field(3, ge=0)
    max_words: int = Field(150, ge=1)
    near_duplicate_threshold: float = Field(0.8, gt=0.0, lt=1.0, description="MinHash Jaccard at which rows are twins")
    semantic_duplicate_threshold: float | None = Field(
        None, gt=0.0, lt=1.0, description="embedding cosine at which rows are twins (paraphrases); null: off"
    )
    semantic_duplicate_clusters: int | None = Field(
        None,
        ge=2,
        le=100_000,
        description="compare rows only within k-means clusters of their embeddings (SemDeDup; faster, "
        "misses twins split across clusters); null: every row with every kept row",
    )
    self_instruct_rules: bool = Field(True, description="Self-Instruct's keyword and prefix rules on new tasks")
    min_unique_token_ratio: float = Field(0.3, ge=0.0, le=1.0, description="below: a loop, dropped as garbage")
    min_alpha_ratio: float = Field(0.5, ge=0.0, le=1.0, description="below: symbols, dropped as garbage")
    perplexity_band: tuple[float, float] | None = Field(
        (0.0, 1.0),
        strict=False,  # a YAML list of two numbers
        description="quantiles of held-back human perplexities that bound the kept band; null: off",
    )
    target_size: int | None = Field(None, ge=1, description="keep this many rows by farthest-point diversity")
    diversity_space: Literal["words", "embeddings"] = Field(
        "words", description="distance for the diversity selection: MinHash word sets or embedding cosine"
    )
    judge_threshold: float | None = Field(6.0, ge=1, le=10, description="drop rows the judge scored below this")
    reward_rank: Literal["judge", "ifd", "reference_lm"] | None = Field(
        None,
        description="keep the top reward_top_share of each task family by a reward: 'judge' (the judge's score; "
        "needs a judge), 'ifd' (instruction-following difficulty under reward_model, offline) or 'reference_lm' "
        "(likelihood under a language model of the human seeds: an imperfect verifier of human-likeness); "
        "null: off",
    )
    reward_top_share: float = Field(0.5, gt=0.0, le=1.0, description="share of each family kept by reward_rank")
    reward_model: str = Field(
        "SmolLM2-135M-Instruct.Q4_1", min_length=1, description="a packaged model or a GGUF path: IFD's scorer"
    )
    verified_only: bool = Field(
        False,
        description="keep only rows a ground-truth or constraint verifier passed: rows nothing could check "
        "(unverifiable, judged, self-consistent) never reach the mix",
    )

    @property
    def uses_embeddings(self) -> bool:
        return self.semantic_duplicate_threshold is not None or (
            self.target_size is not None and self.diversity_space == "embeddings"
        )

    @model_validator(mode="after")
    def _band_is_ordered(self) -> FilterConfig:
        band = self.perplexity_band
        if band is not None and not 0.0 <= band[0] < band[1] <= 1.0:
            raise ValueError("perplexity_band must be two quantiles 0 <= low < high <= 1")
        return self


class VerifyConfig(_Strict):
    self_consistency_threshold: float = Field(
        0.6, gt=0.0, le=1.0, description="share of the k samples the majority answer needs (tasks with no reference)"
    )
    constraint_share: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="share of new general tasks given verifiable constraints (IFEval families), checked by the "
        "'constraints' verifier; 0: general tasks stay unverifiable",
    )
    max_constraints: int = Field(2, ge=1, le=4, description="constraints a constrained task carries at most")
    allow_weak_isolation: bool = Field(
        False,
        description="run code checks without the bwrap sandbox where it is unavailable (verdicts say so); "
        "off: unisolated code is never run and never passes",
    )

    count_weak_passes: bool = Field(
        False,
        description="with allow_weak_isolation: count passes without namespaces as passed; off: they are "
        "no_answer (the candidate could have written its own verdict)",
    )

    def sandbox_policy(self) -> SandboxPolicy:
        return SandboxPolicy(allow_weak_isolation=self.allow_weak_isolation, count_weak_passes=self.count_weak_passes)


# The recipes of generate/recipes/registry.py by name (a test holds the two lists equal; the
# config cannot import the recipes, which read it).
RecipeName = Literal["self_instruct", "evol_instruct", "persona", "curriculum", "code_grounded"]


class EvolConfig(_Strict):
    depth: int = Field(2, ge=1, le=4, description="evolution steps per chain; each step is a row")
    in_breadth_share: float = Field(0.2, ge=0.0, le=1.0, description="share of steps that write a rarer task")


class PersonaConfig(_Strict):
    grown_share: float = Field(
        0.25, ge=0.0, le=1.0, description="share of calls whose persona is first grown from a pool task"
    )
    tasks_per_call: int = Field(2, ge=1, le=10, description="tasks taken from each call (one persona a call)")


class CodeGroundedConfig(_Strict):
    execution_share: float = Field(
        0.5, ge=0.0, le=1.0, description="share of questions about what a call returns (answered by running it)"
    )


class AIFeedbackConfig(_Strict):
    """Preference pairs no annotator wrote (the `ai_preferences` stage). The feedback model is
    the judge when the experiment has one, else the generator."""

    revision_share: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="share of kept synthetic responses critiqued and revised against a "
        "principle of the constitution (Constitutional AI); each revision is a pair (chosen) over its original",
    )
    comparison_share: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="share of tasks with no ground truth and two answered responses whose "
        "pair the feedback model labels, asked twice with positions swapped (RLAIF)",
    )
    max_tokens: int = Field(192, ge=16, le=8192, description="tokens for a critique or a choice; a revision gets 2x")
    drop_revisions_judge_rejects: bool = Field(
        False, description="leave out of the DPO pairs a revision the feedback model did not prefer to its original"
    )

    @property
    def enabled(self) -> bool:
        return self.revision_share > 0 or self.comparison_share > 0


class AgentConfig(_Strict):
    """Tool-using agent trajectories (the `agent_trajectories` stage)."""

    share: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="share of the round's tasks (math, general, code questions; not "
        "HumanEval stubs) also solved by the generator as an agent with a calculator and Python in the sandbox",
    )
    max_steps: int = Field(4, ge=1, le=20, description="model calls per trajectory; one without a tool call ends it")
    max_tokens: int = Field(256, ge=16, le=8192, description="tokens per step")


class StudentConfig(_Strict):
    """The students trained on each round's mix. The Kneser-Ney student always is (milliseconds);
    the neural student (a small transformer, about a minute a round on 2 cores) when asked for."""

    neural: bool = Field(
        False,
        description="also train the neural student each round (needs the `neural` extra); implied by "
        "generator.backend 'neural_student'",
    )
    max_steps: int = Field(600, ge=1, le=100_000, description="training steps at most (early stopping ends most runs)")
    width: int = Field(128, ge=8, le=2048, description="model width; heads of 32 dimensions")
    layers: int = Field(2, ge=1, le=24)
    context: int = Field(64, ge=8, le=2048, description="tokens the model sees; longer texts are cut into pieces")
    batch: int = Field(16, ge=1, le=1024)
    learning_rate: float = Field(3e-3, gt=0, le=1)

    def neural_config(self) -> NeuralConfig:
        return NeuralConfig(
            width=self.width,
            layers=self.layers,
            heads=max(1, self.width // 32),
            context=self.context,
            batch=self.batch,
            max_steps=self.max_steps,
            learning_rate=self.learning_rate,
        )


class DialogueConfig(_Strict):
    """Multi-turn dialogues (the `dialogues` stage)."""

    share: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="share of kept synthetic responses grown into dialogues by a simulated "
        "user's follow-ups (clarify, challenge, extend) and the assistant's answers",
    )
    follow_ups: int = Field(2, ge=1, le=10, description="user follow-ups per dialogue (each answered)")


class CheckConfig(_Strict):
    human_fraction_tolerance: float = Field(0.02, ge=0.0, le=1.0, description="allowed |achieved - target|")


class Experiment(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,62}$")
    regime: Literal["replace", "accumulate", "fixed_fraction"]
    human_fraction: float | None = Field(None, ge=0.0, le=1.0)
    human_weight: float | None = Field(
        None,
        gt=0.0,
        lt=1.0,
        description="the human rows' share of the training weight (the synthetic rows share the rest); with n "
        "human and n synthetic rows, 0.618 (1/phi) is the error-minimising choice of He et al. 2025; unset: every "
        "row weighs the same",
    )
    rounds: int = Field(3, ge=1, le=100)
    seed: int = 0
    replicates: int = Field(
        1,
        ge=1,
        le=50,
        description="independent runs of this experiment, each its own partition `<name>-r<i>` with seed + i; "
        "the report draws their mean and interval",
    )
    replicate_of: str | None = Field(None, description="set for each replicate: the name the experiment was given")
    replicate: int = Field(0, ge=0, description="set for each replicate: its index")
    generator: GeneratorConfig = GeneratorConfig()
    judge: JudgeConfig | None = None
    embedder: EmbedderConfig = EmbedderConfig()
    sizes: Sizes = Sizes()
    recipes: dict[RecipeName, float] = Field(
        default_factory=lambda: {"self_instruct": 1.0},
        description="how new general tasks are made: recipe -> share of sizes.instructions_per_round",
    )
    evol_instruct: EvolConfig = EvolConfig()
    persona: PersonaConfig = PersonaConfig()
    code_grounded: CodeGroundedConfig = CodeGroundedConfig()
    ai_feedback: AIFeedbackConfig = AIFeedbackConfig()
    agent: AgentConfig = AgentConfig()
    dialogue: DialogueConfig = DialogueConfig()
    student: StudentConfig = StudentConfig()
    verify: VerifyConfig = VerifyConfig()
    filters: FilterConfig = FilterConfig()
    checks: CheckConfig = CheckConfig()
    prices: dict[str, ModelPrice] = Field(default_factory=dict, description="per model; from the file's `prices:`")
    batch_discount: float = Field(0.5, gt=0, le=1, description="price factor of the batch APIs")

    @model_validator(mode="after")
    def _recipes_have_shares(self) -> Experiment:
        if not self.recipes or any(not (0 < s <= 1) for s in self.recipes.values()):
            raise ValueError("recipes: each share must be in (0, 1], and at least one recipe is needed")
        return self

    @model_validator(mode="after")
    def _feedback_needs_a_model(self) -> Experiment:
        if self.ai_feedback.enabled and self.judge is None and self.writes_with_student:
            raise ValueError(
                "ai_feedback needs a model that follows instructions: a student cannot critique, revise "
                "or choose; give the experiment a `judge:` or set the shares to 0"
            )
        return self

    @model_validator(mode="after")
    def _judge_ranking_needs_a_judge(self) -> Experiment:
        if self.filters.reward_rank == "judge" and self.judge is None:
            raise ValueError("filters.reward_rank 'judge' ranks by the judge's score: give the experiment a `judge:`")
        return self

    @model_validator(mode="after")
    def _agents_need_a_tool_caller(self) -> Experiment:
        if self.agent.share > 0 and self.writes_with_student:
            raise ValueError("agent.share needs a generator that can call tools; a student cannot")
        if self.dialogue.share > 0 and self.writes_with_student:
            raise ValueError("dialogue.share needs a generator that holds a conversation; a student cannot")
        if self.agent.share > 0 and self.generator.batch:
            raise ValueError(
                "agent.share with generator.batch: each agent step needs the results of the step before, which a "
                "batch API returns within 24 hours; set batch: false"
            )
        return self

    @model_validator(mode="after")
    def _fraction_matches_regime(self) -> Experiment:
        if self.regime == "fixed_fraction" and self.human_fraction is None:
            raise ValueError("regime 'fixed_fraction' needs human_fraction (0..1)")
        if self.regime != "fixed_fraction" and self.human_fraction is not None:
            raise ValueError(f"human_fraction is only for regime 'fixed_fraction', not {self.regime!r}")
        if self.human_weight is not None and (self.regime == "replace" or self.human_fraction in (0.0, 1.0)):
            raise ValueError("human_weight weighs human rows against synthetic ones: the mix must hold both")
        for role, cfg in {**self.roles(), "embedder": self.embedder}.items():
            if cfg.budget_usd is not None and cfg.model not in self.prices:
                raise ValueError(f"{role}.budget_usd needs a price for model {cfg.model!r} under `prices:`")
        return self

    @property
    def writes_with_student(self) -> bool:
        """Each round written by the previous round's student (true recursive training)."""
        return self.generator.backend in STUDENT_BACKENDS

    @property
    def trains_neural(self) -> bool:
        return self.student.neural or self.generator.backend == "neural_student"

    @property
    def group(self) -> str:
        """What the report compares: the experiment, whatever its number of replicates."""
        return self.replicate_of or self.name

    def roles(self) -> dict[str, BackendConfig]:
        return {"generator": self.generator, **({"judge": self.judge} if self.judge else {})}

    def price_of(self, cfg: BackendConfig | EmbedderConfig) -> ModelPrice | None:
        """None for remote models with no listed price (cost unknown); local models cost nothing."""
        if not cfg.remote:
            return ModelPrice(input_per_mtok=0, output_per_mtok=0)
        return self.prices.get(cfg.model)

    def target_human_fraction(self, round_: int) -> float | None:
        """What final_mix of this round should hold; None where it depends on yields (accumulate)."""
        if self.regime == "replace":
            return 0.0
        return self.human_fraction if self.regime == "fixed_fraction" else None


class ExperimentsFile(_Strict):
    experiments: list[Experiment] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> ExperimentsFile:
        names = [e.name for e in self.experiments]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"experiment names must be unique; repeated: {', '.join(dupes)}")
        return self

    def select(self, names: list[str] | None) -> list[Experiment]:
        """By name, or every replicate of an experiment by the name it was given."""
        if not names:
            return list(self.experiments)
        chosen: list[Experiment] = []
        for name in names:
            found = [e for e in self.experiments if name in (e.name, e.replicate_of)]
            if not found:
                raise KeyError(f"no experiment named {name!r}; known: {', '.join(self.groups)}")
            chosen += [e for e in found if e not in chosen]
        return chosen

    @property
    def groups(self) -> list[str]:
        return list(dict.fromkeys(e.group for e in self.experiments))

    def get(self, name: str) -> Experiment:
        for e in self.experiments:
            if e.name == name:
                return e
        raise KeyError(f"no experiment named {name!r}; known: {', '.join(self.names)}")

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.experiments]

    @property
    def max_rounds(self) -> int:
        return max(e.rounds for e in self.experiments)


def _field_path(loc: tuple[Any, ...], raw: Any) -> str:
    """Render a pydantic location as YAML-ish path, naming the experiment where possible."""
    out = ""
    node = raw
    for part in loc:
        if isinstance(part, int):
            name = (
                node[part].get("name")
                if isinstance(node, list) and part < len(node) and isinstance(node[part], dict)
                else None
            )
            out += f"[{part}]" + (f" ({name})" if name else "")
            node = node[part] if isinstance(node, list) and part < len(node) else None
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out or "<top level>"


def parse_experiments(raw: Any, source: str) -> ExperimentsFile:
    """Merge the file's `defaults:` block into each experiment, then validate."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping with an 'experiments' list at the top level")
    if not isinstance(raw.get("defaults") or {}, dict):
        kind = type(raw["defaults"]).__name__
        raise ConfigError(f"{source}: defaults: expected a mapping of keys merged into every experiment, got a {kind}")
    defaults = dict(raw.get("defaults") or {})
    merged = dict(raw)
    merged.pop("defaults", None)
    if "prices" in merged:  # one price table for the file, visible to every experiment
        defaults.setdefault("prices", merged.pop("prices"))
    if isinstance(merged.get("experiments"), list):
        merged["experiments"] = [
            r
            for e in merged["experiments"]
            for r in _replicated(_deep_merge(defaults, e) if isinstance(e, dict) else e)
        ]
    try:
        return ExperimentsFile.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(f"{_field_path(err['loc'], merged)}: {err['msg']}" for err in exc.errors())
        raise ConfigError(f"{source}: {problems}") from None


def _replicated(entry: Any) -> list[Any]:
    """`replicates: k` (k > 1) becomes k experiments `<name>-r0` ... with seeds seed, seed + 1, ...
    so each replicate has its own partitions and lineage; anything malformed is left to the
    validation, which names the field."""
    k = entry.get("replicates", 1) if isinstance(entry, dict) else 1
    if not isinstance(k, int) or isinstance(k, bool) or k <= 1 or "replicate_of" in entry:
        return [entry]
    seed = entry.get("seed", 0)
    if not isinstance(seed, int):
        return [entry]
    return [
        {
            **entry,
            "name": f"{entry.get('name')}-r{i}",
            "seed": seed + i,
            "replicate_of": entry.get("name"),
            "replicate": i,
        }
        for i in range(k)
    ]


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = _deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def load_experiments(path: Path) -> ExperimentsFile:
    text = read_text_file(path, "experiments file", ConfigError, " (set SYNTH_EXPERIMENTS or create it)")
    try:
        raw = yaml.load(text, Loader=UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}:{where} is not valid YAML: {getattr(exc, 'problem', exc)}") from None
    return parse_experiments(raw, str(path))
