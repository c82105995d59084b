import pandas as pd

from synth_assets.config.experiments import FilterConfig
from synth_assets.filters.funnel import STEP_NAMES as STEPS
from synth_assets.filters.funnel import funnel_counts, run_funnel


def _cfg(**overrides) -> FilterConfig:
    """The funnel with only the named steps' settings changed and the model-backed steps off."""
    return FilterConfig(**{"perplexity_band": None, "judge_threshold": None, **overrides})


def pool_of(*instructions: str) -> pd.DataFrame:
    """A round's in-context pool holding these tasks."""
    return pd.DataFrame(
        {"id": [f"pool-{i}" for i in range(len(instructions))], "instruction": list(instructions), "response": "ok"}
    )


def _trace(task_id: str, instruction: str, response: str, **kw) -> dict:
    base = {
        "id": f"v-{task_id}-{len(response)}-{kw.get('verdict', 'u')}",
        "task_id": task_id,
        "task_source": "generated",
        "instruction": instruction,
        "response": response,
        "verdict": "unverifiable",
        "error": None,
        "finish_reason": "stop",
        "origin": "synthetic",
        "family": "general",
        "evidence": "",
    }
    return {**base, **kw}


def test_each_step_drops_with_its_reason_and_counts_add_up() -> None:
    rows = pd.DataFrame(
        [
            _trace("t1", "Write a poem about the winter sea", "Cold waves roll."),
            _trace("t2", "Write a poem about the winter sea today", "Grey foam."),  # rouge vs t1
            _trace("t3", "Give three uses for a brick", "Doorstop, bookend, weight."),
            _trace("t3", "Give three uses for a brick", "doorstop,   bookend, weight."),  # exact dup (normalised)
            _trace("t4", "Hi", "Hello there."),  # instruction too short
            _trace("t5", "Solve 2 + 2 please now", "5", verdict="failed", task_source="pool"),
            _trace("t6", "Explain rain to a child", "", error="TimeoutError"),
            _trace("t7", "Name a colour you like best", "Blue.", task_source="pool"),  # pool tasks skip novelty
            _trace("t8", "Tell a long story about a dragon", "Once upon a", finish_reason="length"),
            _trace("t9", "Give three uses for a brick!", "Doorstop, bookend, weight!"),  # near twin of row 2 (index 9)
        ]
    )
    out = run_funnel(rows, pool_of("Name a colour you like best"), cfg=_cfg(min_words=3))
    assert out["drop_reason"].tolist() == [
        None,
        "rouge_novelty",
        None,
        "exact_duplicate",
        "length",
        "verification",
        "generation_error",
        None,
        "truncated",
        "near_duplicate",
    ]
    counts = funnel_counts(out)
    assert counts["kept"] == 3
    assert counts["entering"] == counts["kept"] + sum(counts[f"dropped:{s}"] for s in STEPS)
    assert out.loc[0, "novelty_rouge_l"] < 0.7 < out.loc[1, "novelty_rouge_l"]
    assert out.loc[9, "near_duplicate_of"] == out.loc[2, "id"]
    details = out["drop_detail"].tolist()  # every dropped row says what its step saw
    assert details[1].startswith("ROUGE-L 0.") and "with the pool or an earlier task" in details[1]
    assert details[3] == f"the same normalised instruction and response as {out.loc[2, 'id']}"
    assert details[4] == "instruction has 1 words, outside 3-150"
    assert details[5] == "failed" and details[6] == "TimeoutError"
    assert details[8] == "finish_reason 'length': cut off at max_tokens"
    assert details[9].startswith("Jaccard ") and [details[i] for i in (0, 2, 7)] == [None, None, None]


def test_a_judge_score_below_the_threshold_drops_the_row_with_its_score() -> None:
    rows = pd.DataFrame(
        [
            _trace("t1", "Explain why the sky looks blue", "Light scatters.", judge_score=3.0),
            _trace("t2", "Explain why leaves turn red", "Pigments show.", judge_score=8.0),
            _trace("t3", "Explain how a bicycle balances", "It steers.", judge_score=None),  # unjudged: kept
            _trace("t4", "Explain why bread rises in the oven", "", judge_score=1.0),  # an earlier step's
        ]
    )
    out = run_funnel(rows, pool_of(), _cfg(judge_threshold=6))
    assert out["drop_reason"].tolist() == ["judge_score", None, None, "generation_error"]
    assert out["drop_detail"].tolist() == ["judge score 3 below 6", None, None, "empty response"]
    assert run_funnel(rows, pool_of(), _cfg())["drop_reason"].tolist() == [None, None, None, "generation_error"]


def test_all_traces_of_a_task_share_the_novelty_decision() -> None:
    rows = pd.DataFrame(
        [
            _trace("t1", "Describe your favourite city park", "Trees."),
            _trace("t1", "Describe your favourite city park", "Benches and a pond."),
        ]
    )
    out = run_funnel(rows, pool_of("Describe your favourite city park please"), _cfg())
    assert out["drop_reason"].tolist() == ["rouge_novelty", "rouge_novelty"]


def test_instruction_and_response_do_not_run_together_in_duplicate_keys() -> None:
    rows = pd.DataFrame(
        [
            _trace("t1", "Name the colour of the sky please", "blue sky"),
            _trace("t2", "Name the colour of the sky please blue", "sky"),  # same characters, other split
        ]
    )
    out = run_funnel(rows, pool_of(), _cfg(rouge_threshold=1.0))
    # not an exact duplicate; the same words in another order are a near duplicate
    assert out["drop_reason"].tolist() == [None, "near_duplicate"]


def test_heuristics_perplexity_and_diversity_steps_name_what_they_saw() -> None:
    human = [f"Describe how a {w} works. It {v} and people rely on it." for v in VERBS for w in HUMAN_WORDS]
    # rows the band is calibrated on (every fifth) are inside it by construction
    inside = [human[i].split(". ", 1) for i in (0, 10, 20, 35)]
    rows = pd.DataFrame(
        [
            _trace("a", "Draw a picture of your house", "It has a red door."),  # Self-Instruct keyword rule
            _trace("b", "Write a program that adds numbers", "print(1 + 2)"),  # Self-Instruct prefix rule
            _trace("c", "Repeat after me please now", "go " * 40),  # a loop
            _trace("d", "Describe how a kettle works today", "zq xv jj kk pp ww yy qq zz vv"),  # off-distribution
            *(_trace(t, f"{i}.", r, task_source="pool") for t, (i, r) in zip("efgh", inside, strict=True)),
        ]
    )
    cfg = _cfg(min_words=3, perplexity_band=(0.0, 1.0), target_size=2)
    out = run_funnel(rows, pool_of(), cfg=cfg, human_texts=human)
    reasons = dict(zip(out["task_id"], out["drop_reason"], strict=True))
    details = dict(zip(out["task_id"], out["drop_detail"], strict=True))
    assert reasons["a"] == "self_instruct_rules" and "picture" in details["a"]
    assert reasons["b"] == "self_instruct_rules" and "Write a program" in details["b"]
    assert reasons["c"] == "garbage" and "'go'" in details["c"]
    assert reasons["d"] == "perplexity" and "above the human band" in details["d"]
    survivors = out[out["task_id"].isin(list("efgh"))]
    assert (survivors["perplexity"] > 0).all()
    assert sorted(survivors["drop_reason"].fillna("kept")) == ["diversity", "diversity", "kept", "kept"]
    assert survivors["drop_detail"].dropna().str.startswith("Jaccard distance").all()
    counts = funnel_counts(out)
    assert counts["entering"] == sum(v for k, v in counts.items() if k.startswith("dropped:")) + counts["kept"]
    assert out.loc[out["drop_reason"].notna(), "drop_detail"].map(bool).all()


HUMAN_WORDS = ["kettle", "lamp", "bicycle", "clock", "radio", "fridge", "stove", "phone"]
VERBS = ["heats water", "gives light", "moves you", "keeps time", "plays songs"]


def test_code_that_gamed_its_tests_is_dropped_as_reward_hacking() -> None:
    evidence = "reward hacking: returned a value that is not plain data: __main__.Yes is not plain data"
    rows = pd.DataFrame(
        [
            _trace(
                "c1",
                "def f(x): ...",
                "class Yes: ...",
                verdict="failed",
                family="code",
                task_source="pool",
                evidence=evidence,
            ),
            _trace(
                "c2",
                "def g(x): ...",
                "return 1",
                verdict="failed",
                family="code",
                task_source="pool",
                evidence="failed in 0.03s: AssertionError: assert candidate(1) == 2",
            ),
        ]
    )
    out = run_funnel(rows, pool_of(), _cfg(min_words=1))
    assert out["drop_reason"].tolist() == ["reward_hacking", "verification"]
    assert out.loc[0, "drop_detail"] == evidence
    assert funnel_counts(out)["dropped:reward_hacking"] == 1


LONG_ANSWER = " ".join(
    f"{w} {n}"
    for n, w in enumerate("apology custom greeting bow gesture tone formal casual regional phrase".split() * 5)
)


def test_a_response_that_gives_up_is_dropped_saying_what_it_said() -> None:
    """Evol-Instruct's rules on responses: an apology in under 80 words, or only stop words."""
    rows = pd.DataFrame(
        [
            _trace("t1", "Write a sonnet about a ledger", "I'm sorry, but I cannot write that sonnet."),
            _trace("t2", "Describe a glacier in spring", "It is the of and it, so."),
            _trace("t3", "Explain why a river bends", "Water erodes the outer bank, so a river bends more."),
            _trace("t4", "Say sorry in three languages", "Sorry, perdón, Entschuldigung. " + LONG_ANSWER),
        ]
    )
    out = run_funnel(rows, pool_of("Name a colour you like best"), cfg=_cfg())
    assert out["drop_reason"].tolist() == ["gives_up", "gives_up", None, None]
    assert out["drop_detail"].tolist()[:2] == [
        "gives up: 'sorry' in a response of 8 words",
        "only punctuation and stop words",
    ]
