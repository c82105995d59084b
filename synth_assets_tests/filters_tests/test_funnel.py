import pandas as pd

from synth_assets.filters.funnel import STEPS, FunnelConfig, funnel_counts, run_funnel


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
    out = run_funnel(rows, pool_instructions=["Name a colour you like best"], cfg=FunnelConfig(min_words=3))
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


def test_all_traces_of_a_task_share_the_novelty_decision() -> None:
    rows = pd.DataFrame(
        [
            _trace("t1", "Describe your favourite city park", "Trees."),
            _trace("t1", "Describe your favourite city park", "Benches and a pond."),
        ]
    )
    out = run_funnel(rows, ["Describe your favourite city park please"], FunnelConfig())
    assert out["drop_reason"].tolist() == ["rouge_novelty", "rouge_novelty"]


def test_instruction_and_response_do_not_run_together_in_duplicate_keys() -> None:
    rows = pd.DataFrame(
        [
            _trace("t1", "Name the colour of the sky please", "blue sky"),
            _trace("t2", "Name the colour of the sky please blue", "sky"),  # same characters, other split
        ]
    )
    out = run_funnel(rows, [], FunnelConfig(rouge_threshold=1.0))
    # not an exact duplicate; the same words in another order are a near duplicate
    assert out["drop_reason"].tolist() == [None, "near_duplicate"]
