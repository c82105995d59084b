"""Verifiable constraints: each family met and narrowly missed, the spec as ground truth, the
sampler's promise that what it asks can be met together, and the generator's wiring."""

from __future__ import annotations

import json
import random
import re

import pandas as pd
import pytest

from synth_assets.config.experiments import FilterConfig, parse_experiments
from synth_assets.filters.funnel import run_funnel, task_texts
from synth_assets.generate.constraint_sampling import _CLASHES, _GROUP, content_words, sample_constraints
from synth_assets.llm.session import GenerationSession
from synth_assets.stages.generated_instructions import generate_instructions
from synth_assets.stages.row_frames import RowScope
from synth_assets.verify.constraints import (
    Bullets,
    Constraint,
    ConstraintSpec,
    EndPhrase,
    ExcludeKeywords,
    IncludeKeywords,
    JsonOutput,
    Lowercase,
    Paragraphs,
    Sections,
    Sentences,
    StartPhrase,
    Uppercase,
    Words,
    parse_spec,
    with_constraints,
    without_constraints,
)
from synth_assets.verify.ground_truth import check_ground_truth
from synth_assets_tests.llm_tests.remote import backend
from synth_assets_tests.support.loopback_server import LoopbackLLMServer

CASES: list[tuple[Constraint, str, str | None]] = [
    (Words(relation="at_least", n=5), "one two three four five", None),
    (Words(relation="at_least", n=5), "one two three four", "4 words"),
    (Words(relation="at_most", n=3), "it's fine", None),  # \w+ runs, as IFEval: it, s, fine
    (Words(relation="at_most", n=3), "well-known, isn't it", "5 words"),
    (Sentences(relation="at_least", n=3), 'Dr. Lee came. She said "go." We went!', None),
    (Sentences(relation="at_most", n=2), "It costs 3.5 dollars, e.g. a coffee. That is cheap?", None),
    (Sentences(relation="at_most", n=2), "One. Two! Three?", "3 sentences"),
    (Paragraphs(n=2), "First part.\n \nSecond part.\n", None),
    (Paragraphs(n=2), "First part.\nStill first.", "1 paragraphs"),
    (Bullets(n=2), "Intro:\n* a\n  - b\n**bold** is no bullet\n---", None),
    (Bullets(n=2), "* a\n* b\n* c", "3 bullet points"),
    (Sections(n=2), "SECTION 1\nhi\nSECTION 2\nbye", None),
    (Sections(n=2), "SECTION 1\nhi\nSECTION 3\nbye", "section markers [1, 3]"),
    (Sections(n=2), "Section 1\nhi\nSection 2\nbye", "no SECTION markers"),
    (JsonOutput(), '```json\n{"a": [1, 2]}\n```', None),
    (JsonOutput(), '{"a": 1,}', "not JSON (Expecting property name enclosed in double quotes at line 1 column 9)"),
    (JsonOutput(), "42", "JSON int, not an object or array"),
    (Lowercase(), "all quiet here.", None),
    (Lowercase(), "all quiet, said I.", "capital letters 'I'"),
    (Lowercase(), "1234", "no letters"),
    (Uppercase(), "ALL QUIET 24/7.", None),
    (Uppercase(), "ALL QUIET, 5 kg", "lowercase letters 'kg'"),
    (IncludeKeywords(words=("river", "delta")), "The Delta of the river.", None),
    (IncludeKeywords(words=("river", "delta")), "Rivers and deltas.", "missing ['river', 'delta']"),
    (ExcludeKeywords(words=("sun",)), "Sunshine and sunny days.", None),
    (ExcludeKeywords(words=("sun",)), "The Sun rose.", "uses ['sun']"),
    (StartPhrase(phrase="Here is my answer:"), "\n Here is my answer: yes", None),
    (StartPhrase(phrase="Here is my answer:"), "here is my answer: yes", "begins 'here is my answer:'"),
    (EndPhrase(phrase="That is all."), "Done. That is all.\n", None),
    (EndPhrase(phrase="That is all."), "Done. That is all. Bye", "ends ' is all. Bye'"),
]


@pytest.mark.parametrize(("constraint", "response", "violation"), CASES)
def test_each_family_met_and_narrowly_missed(constraint: Constraint, response: str, violation: str | None) -> None:
    assert constraint.violation(response) == violation


def test_the_verdict_names_every_unmet_constraint() -> None:
    spec = ConstraintSpec(constraints=(Words(relation="at_most", n=3), Lowercase(), EndPhrase(phrase="see you.")))
    passed = check_ground_truth("general", "Greet me.", "hello, see you.", spec.to_json())
    assert (passed.verdict, passed.verifier, passed.evidence) == (
        "passed",
        "constraints",
        "3 constraints met: words, lowercase, end_phrase",
    )
    failed = check_ground_truth("general", "Greet me.", "Hello there, friend. See you.", spec.to_json())
    assert failed.verdict == "failed"
    assert failed.evidence == (
        "constraint 1 (Answer with at most 3 words.): 5 words; constraint 2 (Your entire response should be in "
        "English and in lowercase letters only; no capital letters.): capital letters 'HS'; constraint 3 (Finish "
        'your response with the exact phrase "see you."; no other '
        "words should follow it.): ends 'See you.'"
    )
    assert check_ground_truth("general", "Greet me.", "  ", spec.to_json()).verdict == "no_answer"


@pytest.mark.parametrize(
    ("reference", "where"),
    [
        ('{"constraints": [{"kind": "words", "relation": "about", "n": 5}]}', "constraints.0.words.relation"),
        ('{"constraints": [{"kind": "colour"}]}', "constraints.0"),
        ('{"constraints": []}', "constraints"),
        ("7", "(top level)"),
    ],
)
def test_a_reference_that_is_no_spec_is_no_answer_naming_the_field(reference: str, where: str) -> None:
    v = check_ground_truth("general", "Task.", "An answer.", reference)
    assert v.verdict == "no_answer" and v.evidence.startswith(f"reference_answer not a constraint spec: {where}: ")


def test_sampled_constraints_can_hold_together_and_fit_the_task() -> None:
    task = "Write a short story about a lighthouse keeper who finds a message in a bottle."
    kinds: set[str] = set()
    for seed in range(400):
        spec = sample_constraints(task, random.Random(seed), 3)
        assert spec is not None and 1 <= len(spec.constraints) <= 3
        chosen = [c.kind for c in spec.constraints]
        kinds |= set(chosen)
        assert len({_GROUP[k] for k in chosen}) == len(chosen)
        assert not any(frozenset((a, b)) in _CLASHES for a in chosen for b in chosen if a != b)
        for c in spec.constraints:
            if isinstance(c, IncludeKeywords | ExcludeKeywords):
                assert set(c.words) <= set(content_words(task))
        assert parse_spec(spec.to_json()) == spec
        assert without_constraints(with_constraints(task, spec), spec.to_json()) == task
    assert kinds == set(_GROUP)  # every family is drawn
    assert sample_constraints(task, random.Random(5), 2) == sample_constraints(task, random.Random(5), 2)
    assert content_words("Write about it.") == []
    assert content_words("Name three rivers in Africa, three") == ["three", "rivers", "africa"]


TASKS = re.compile(r"^(\d+)\.\s*$", re.MULTILINE)
NEW = ["Name three rivers in Africa.", "Describe how a lighthouse works.", "Suggest a name for a bakery."]


def test_a_share_of_new_general_tasks_carry_constraints_and_examples_are_shown_without_them() -> None:
    prompts: list[str] = []

    def writer(prompt: str, params: dict) -> str:
        prompts.append(prompt)
        family = "math" if "math" in prompt else "general"
        items = NEW if family == "general" else ["A box holds 3 pens. How many pens are in 2 boxes?"]
        if params.get("output"):
            return json.dumps({"tasks": items})
        first = int(TASKS.findall(prompt)[-1])
        return "\n".join(f"{first + i}. {t}" for i, t in enumerate(items))

    constrained = ConstraintSpec(constraints=(Bullets(n=2),))
    pool = pd.DataFrame(
        [
            _pool_row("g1", "general", with_constraints("List two colours.", constrained), constrained.to_json()),
            _pool_row("m1", "math", "What is 2 + 2?", "4"),
        ]
    )
    for share, expected in ((1.0, 3), (0.0, 0)):
        raw = {
            "experiments": [
                {
                    "name": "e",
                    "regime": "replace",
                    "verify": {"constraint_share": share},
                    "sizes": {"instructions_per_round": 3, "math_problems_per_round": 1, "in_context_examples": 1},
                }
            ]
        }
        exp = parse_experiments(raw, "test").experiments[0]
        with LoopbackLLMServer(responder=writer) as server:
            rows, stats = generate_instructions(
                pool,
                exp,
                RowScope("generated_instructions", exp.name, 0, "run"),
                GenerationSession(backend("openai", server), None),
            )
        general = rows[rows["family"] == "general"]
        assert len(general) == 3 and stats.constrained == expected
        assert rows.loc[rows["family"] == "math", "reference_answer"].isna().all()
        for row in general.to_dict("records"):
            bare = without_constraints(row["instruction"], row["reference_answer"])
            assert bare in NEW
            if expected:
                assert row["instruction"] == with_constraints(bare, parse_spec(row["reference_answer"]))
            else:
                assert row["reference_answer"] is None and row["instruction"] == bare
    shown = [p for p in prompts if "List two colours." in p]
    assert shown and not any("bullet" in p for p in prompts)


def _pool_row(row_id: str, family: str, instruction: str, reference: str) -> dict:
    return {
        "id": row_id,
        "family": family,
        "instruction": instruction,
        "reference_answer": reference,
        "response": "ok",
    }


def test_novelty_compares_tasks_not_their_constraints_and_verified_only_keeps_checked_rows() -> None:
    limit = ConstraintSpec(constraints=(Words(relation="at_most", n=50), EndPhrase(phrase="That is all.")))
    a, b = "Name a river.", "Suggest a cake."
    rows = pd.DataFrame(
        [
            _row("t1", with_constraints(a, limit), limit.to_json(), "passed", "constraints"),
            _row("t2", with_constraints(b, limit), limit.to_json(), "passed", "constraints"),
            _row("t3", "Describe the colour of the winter sky.", None, "unverifiable", "none"),
        ]
    )
    assert task_texts(rows).tolist() == [a, b, "Describe the colour of the winter sky."]
    pool = pd.DataFrame({"id": ["p"], "instruction": ["Write a haiku."], "response": ["ok"]})
    cfg = {"perplexity_band": None, "judge_threshold": None, "min_words": 1}
    out = run_funnel(rows, pool, FilterConfig(**cfg))
    assert out["kept"].tolist() == [True, True, True]  # with the constraints, t2 is a ROUGE-L twin of t1
    out = run_funnel(rows, pool, FilterConfig(**cfg, verified_only=True))
    assert out["drop_reason"].tolist() == [None, None, "unverified"]
    assert out.loc[2, "drop_detail"] == "unverifiable: no ground truth or constraints checked this row"


def _row(task_id: str, instruction: str, reference: str | None, verdict: str, verifier: str) -> dict:
    return {
        "id": f"v-{task_id}",
        "task_id": task_id,
        "task_source": "generated",
        "family": "general",
        "instruction": instruction,
        "reference_answer": reference,
        "response": f"An answer to {task_id} here. That is all.",
        "verdict": verdict,
        "verifier": verifier,
        "error": None,
        "finish_reason": "stop",
        "origin": "synthetic",
        "evidence": "",
    }


def test_word_salad_that_meets_its_constraints_is_not_verified() -> None:
    """The n-gram student's output met "at least 15 words" and passed; constraints say how an
    answer is shaped, and the answer must still read as text (unless all one case is asked)."""
    spec = ConstraintSpec(constraints=(Words(relation="at_least", n=10),)).to_json()
    salad = "how many kilometers does it the tool make _ close _ elements ( the 10 agenda idx2 ? it takes . The"
    salad += " 50 minutes and in your orbit So 4 = 8 standby school does The"
    v = check_ground_truth("general", "Describe a trip.", salad, spec)
    assert v.verdict == "failed" and v.evidence.startswith("not text: ") and "though its constraints hold" in v.evidence
    poem = "A patch of sun upon the floor,\na cat who asks for nothing more,\nshe stretches, yawns, and turns around."
    assert check_ground_truth("general", "Write a poem.", poem, spec).verdict == "passed"  # verse may start lowercase
    shouted = ConstraintSpec(constraints=(Uppercase(),)).to_json()
    assert check_ground_truth("general", "Shout.", "THE SUN IS UP. SO THE DAY BEGINS.", shouted).verdict == "passed"
