from pathlib import Path

import pytest

from synth_assets.config.experiments import ConfigError, load_experiments, parse_experiments
from synth_assets.generate.recipes.registry import RECIPES
from synth_assets_tests.support.paths import PROJECT_DATA


def test_project_config_loads_with_the_required_regimes() -> None:
    exps = load_experiments(PROJECT_DATA / "experiments.yaml")
    regimes = {e.regime for e in exps.experiments}
    assert {"replace", "accumulate"} <= regimes
    compared = [e for e in exps.experiments if e.replicates >= 3]  # the report's comparison, beyond chance
    assert {e.regime for e in compared} >= {"replace", "accumulate"}
    assert all(e.rounds >= 3 for e in compared)  # enough rounds for a collapse curve
    # Feng et al.'s pair: a verifier-filtered twin of an unfiltered experiment, same regime and seeds
    groups = {e.group: e for e in compared}
    verified, unfiltered = groups["student-replace-verified"], groups["student-replace"]
    assert verified.filters.reward_rank == "reference_lm" and unfiltered.filters.reward_rank is None
    assert (verified.regime, verified.seed, verified.replicates) == (unfiltered.regime, unfiltered.seed, 3)
    tour = load_experiments(PROJECT_DATA / "experiments-recipes.yaml")
    assert {name for e in tour.experiments for name in e.recipes} == set(RECIPES)  # it shows every recipe
    assert all(e.ai_feedback.enabled and e.agent.share and e.dialogue.share for e in tour.experiments)


def test_defaults_merge_into_each_experiment_and_experiment_values_win() -> None:
    raw = {
        "defaults": {"rounds": 4, "sizes": {"mix_size": 10, "samples_per_task": 3}},
        "experiments": [{"name": "a", "regime": "replace", "sizes": {"mix_size": 7}}],
    }
    exp = parse_experiments(raw, "x.yaml").get("a")
    assert (exp.rounds, exp.sizes.mix_size, exp.sizes.samples_per_task) == (4, 7, 3)


@pytest.mark.parametrize(
    ("experiment", "expected"),
    [
        ({"name": "b", "regime": "shuffle"}, "experiments[0] (b).regime"),
        ({"name": "b", "regime": "fixed_fraction"}, "needs human_fraction"),
        ({"name": "b", "regime": "replace", "human_fraction": 0.5}, "only for regime 'fixed_fraction'"),
        ({"name": "b", "regime": "fixed_fraction", "human_fraction": 1.5}, "experiments[0] (b).human_fraction"),
        ({"name": "Bad Name", "regime": "replace"}, "experiments[0] (Bad Name).name"),
        ({"name": "b", "regime": "replace", "sizes": {"mix_size": 0}}, "experiments[0] (b).sizes.mix_size"),
        ({"name": "b", "regime": "replace", "colour": "red"}, "experiments[0] (b).colour"),
        ({"name": "b", "regime": "replace", "embedder": {"backend": "bert"}}, "experiments[0] (b).embedder.backend"),
        ({"name": "b", "regime": "replace", "embedder": {"model": "other"}}, "packaged wordllama model"),
        (
            {"name": "b", "regime": "replace", "embedder": {"backend": "openai", "model": "e", "budget_usd": 1.0}},
            "embedder.budget_usd needs a price for model 'e'",
        ),
        ({"name": "b", "regime": "replace", "embedder": {"batch_size": 0}}, "experiments[0] (b).embedder.batch_size"),
        ({"name": "b", "regime": "replace", "student": {"depth": 3}}, "experiments[0] (b).student.depth"),
        ({"name": "b", "regime": "replace", "student": {"max_steps": 0}}, "experiments[0] (b).student.max_steps"),
        (
            {"name": "b", "regime": "replace", "generator": {"backend": "neural_student"}, "agent": {"share": 0.5}},
            "agent.share needs a generator that can call tools",
        ),
        (
            {"name": "b", "regime": "replace", "generator": {"backend": "neural_student"}, "dialogue": {"share": 0.5}},
            "dialogue.share needs a generator that holds a conversation",
        ),
    ],
)
def test_errors_name_the_file_and_the_field(experiment: dict, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_experiments({"experiments": [experiment]}, "data/experiments.yaml")
    assert str(err.value).startswith("data/experiments.yaml: ")
    assert expected in str(err.value)


def test_duplicate_names_are_rejected() -> None:
    raw = {"experiments": [{"name": "a", "regime": "replace"}, {"name": "a", "regime": "accumulate"}]}
    with pytest.raises(ConfigError, match="repeated: a"):
        parse_experiments(raw, "f.yaml")


def test_invalid_yaml_reports_the_line(tmp_path: Path) -> None:
    path = tmp_path / "experiments.yaml"
    path.write_text("experiments:\n  - name: a\n    regime: [replace\n")
    with pytest.raises(ConfigError, match=r"experiments.yaml: line \d+, column \d+ is not valid YAML"):
        load_experiments(path)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="experiments file not found"):
        load_experiments(tmp_path / "nope.yaml")


def test_target_human_fraction_by_regime() -> None:
    exps = parse_experiments(
        {
            "experiments": [
                {"name": "r", "regime": "replace"},
                {"name": "a", "regime": "accumulate"},
                {"name": "f", "regime": "fixed_fraction", "human_fraction": 0.25},
            ]
        },
        "f.yaml",
    )
    assert [e.target_human_fraction(1) for e in exps.experiments] == [0.0, None, 0.25]


def test_replicates_become_partitions_with_their_own_seeds() -> None:
    raw = {
        "experiments": [
            {"name": "s", "regime": "replace", "seed": 5, "replicates": 3},
            {"name": "t", "regime": "accumulate"},
        ]
    }
    exps = parse_experiments(raw, "x.yaml")
    assert [(e.name, e.seed, e.group, e.replicate) for e in exps.experiments] == [
        ("s-r0", 5, "s", 0), ("s-r1", 6, "s", 1), ("s-r2", 7, "s", 2), ("t", 0, "t", 0)
    ]  # fmt: skip
    assert [e.name for e in exps.select(["s"])] == ["s-r0", "s-r1", "s-r2"]
    assert [e.name for e in exps.select(["s-r1", "t"])] == ["s-r1", "t"]
    with pytest.raises(KeyError, match="known: s, t"):
        exps.select(["u"])


def test_a_replicate_name_that_clashes_is_refused_by_name() -> None:
    raw = {"experiments": [{"name": "s", "regime": "replace", "replicates": 2}, {"name": "s-r1", "regime": "replace"}]}
    with pytest.raises(ConfigError, match="repeated: s-r1"):
        parse_experiments(raw, "x.yaml")


def test_the_command_line_takes_an_experiment_with_replicates_by_its_name() -> None:
    from synth_assets.config.preflight import PreflightError, check_arguments

    raw = {"experiments": [{"name": "s", "regime": "replace", "rounds": 2, "replicates": 3}]}
    exps = parse_experiments(raw, "x.yaml")
    check_arguments(exps, ["s"], 2, "INFO")  # every replicate, by the name the file gives
    check_arguments(exps, ["s-r2"], None, "INFO")  # or one of them
    with pytest.raises(PreflightError, match="at most 2 round"):
        check_arguments(exps, ["s"], 3, "INFO")
    with pytest.raises(PreflightError, match=r"the experiments file has s$"):
        check_arguments(exps, ["t"], None, "INFO")


def test_the_neural_student_is_trained_where_it_writes_or_is_asked_for() -> None:
    tour = load_experiments(PROJECT_DATA / "experiments-neural.yaml")
    assert {e.regime for e in tour.experiments} == {"replace", "accumulate", "fixed_fraction"}
    assert sorted(e.human_fraction for e in tour.experiments if e.regime == "fixed_fraction") == [0.1, 1.0]
    assert all(e.trains_neural and e.writes_with_student for e in tour.experiments)
    raw = {
        "experiments": [
            {"name": "llm", "regime": "replace", "student": {"neural": True, "width": 64}},
            {"name": "plain", "regime": "replace"},
        ]
    }
    exps = parse_experiments(raw, "x.yaml")
    llm, plain = exps.get("llm"), exps.get("plain")
    assert llm.trains_neural and not llm.writes_with_student
    assert (llm.student.neural_config().width, llm.student.neural_config().heads) == (64, 2)
    assert not plain.trains_neural and not plain.writes_with_student
