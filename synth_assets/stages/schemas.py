"""Column schemas of every stage table: one source for the UI's column docs and the DuckDB DDL."""

from __future__ import annotations

import dagster as dg

from synth_assets.core.rows import CONTRACT_COLUMNS

_CONTRACT_DOCS = {
    "experiment": ("VARCHAR", "experiment name (partition dimension); null for global tables"),
    "round": ("INTEGER", "generation round (partition dimension); null for global tables"),
    "id": ("VARCHAR", "stable content hash of stage, partition, parents and content"),
    "parent_ids": ("VARCHAR[]", "ids of the upstream rows this row was made from"),
    "origin": ("VARCHAR", "'human' or 'synthetic'"),
    "generator": ("VARCHAR", "backend:model that wrote the row; null for human rows"),
    "prompt_hash": ("VARCHAR", "hash of the rendered prompt; null for human rows"),
    "run_id": ("VARCHAR", "Dagster run that materialized the row"),
}
# The contract's columns are named once (core.rows); a name without a type here fails at import.
_CONTRACT = [dg.TableColumn(name, *_CONTRACT_DOCS[name]) for name in CONTRACT_COLUMNS]
_TASK = [
    dg.TableColumn(
        "family",
        "VARCHAR",
        description="'general' (Self-Instruct tasks), 'math' (word problems), 'code' (HumanEval) or "
        "'code_output' (what a call to real code returns, the answer found by running it)",
    ),
    dg.TableColumn("task_type", "VARCHAR", description="finer type: writing, classification, ..., math"),
    dg.TableColumn("instruction", "VARCHAR", description="the task or problem statement"),
    dg.TableColumn("input", "VARCHAR", description="optional task input; empty string when none"),
    dg.TableColumn(
        "reference_answer",
        "VARCHAR",
        description="ground truth when one exists: the final answer (math), the unit tests as JSON (code) or the "
        "task's verifiable constraints as JSON (general tasks that carry them)",
    ),
    dg.TableColumn(
        "recipe",
        "VARCHAR",
        description="how the task was made: 'human', or the recipe that wrote it (self_instruct, evol_instruct, "
        "persona; see generate/recipes)",
    ),
]
_RESPONSE = [dg.TableColumn("response", "VARCHAR", description="reference solution or generated response")]
_TRACE = [
    dg.TableColumn("task_id", "VARCHAR", description="id of the task row this trace answers"),
    dg.TableColumn(
        "task_source",
        "VARCHAR",
        description="'generated' (this round's new task) or 'pool' (a task with ground truth from seed_set)",
    ),
    dg.TableColumn("sample_index", "INTEGER", description="which sample of the task (attempt x k + i)"),
    dg.TableColumn("attempt", "INTEGER", description="rejection-sampling attempt that produced the trace (0 first)"),
    dg.TableColumn("finish_reason", "VARCHAR", description="'stop', 'length' or 'error'"),
    dg.TableColumn("completion_tokens", "INTEGER", description="tokens generated for this trace"),
    dg.TableColumn("error", "VARCHAR", description="error class when the call failed; null otherwise"),
]
_VERDICT = [
    dg.TableColumn(
        "verdict",
        "VARCHAR",
        description="against ground truth: 'passed', 'failed', 'no_answer'; self-consistency: 'consistent', "
        "'inconsistent'; judge only: 'judged'; nothing to check: 'unverifiable'",
    ),
    dg.TableColumn(
        "verifier",
        "VARCHAR",
        description="what gave the verdict: 'math_reference', 'unit_tests' (sandboxed), 'constraints', "
        "'self_consistency', 'llm_judge' or 'none'",
    ),
    dg.TableColumn("extracted_answer", "VARCHAR", description="final answer extracted from the trace"),
    dg.TableColumn("evidence", "VARCHAR", description="why the verifier decided as it did"),
    dg.TableColumn("judge_score", "DOUBLE", description="LLM judge's rubric score 1-10; null without a judge"),
]
_FILTER = [
    dg.TableColumn("kept", "BOOLEAN", description="true when the row survived every filter"),
    dg.TableColumn("drop_reason", "VARCHAR", description="name of the first filter that dropped the row"),
    dg.TableColumn("drop_detail", "VARCHAR", description="what that filter saw: the rule, score or twin"),
    dg.TableColumn("novelty_rouge_l", "DOUBLE", description="max ROUGE-L F of the instruction vs the pool"),
    dg.TableColumn("near_duplicate_of", "VARCHAR", description="id of the kept row this one near-duplicates"),
    dg.TableColumn("perplexity", "DOUBLE", description="per-token perplexity under the human reference model"),
    dg.TableColumn(
        "reward_score",
        "DOUBLE",
        description="the reward the reward_rank step ranked by (judge score, or IFD: the response's loss given the "
        "instruction over its loss alone); null when the step is off",
    ),
]
_HUMAN = [dg.TableColumn("source_ref", "VARCHAR", description="file:record of the human-authored source row")]


_METRICS_HEAD = [
    dg.TableColumn("experiment", "VARCHAR", description="experiment (partition dimension)"),
    dg.TableColumn("round", "INTEGER", description="round (partition dimension)"),
    dg.TableColumn(
        "experiment_group",
        "VARCHAR",
        description="the experiment as configured: its replicates (`<name>-r<i>`) share it, and the report "
        "compares groups",
    ),
    dg.TableColumn("replicate", "INTEGER", description="which replicate (0 for an experiment without replicates)"),
    dg.TableColumn("regime", "VARCHAR", description="replace, accumulate or fixed_fraction"),
    dg.TableColumn("run_id", "VARCHAR", description="Dagster run that computed the metrics"),
    dg.TableColumn("student", "VARCHAR", description="student model artifact the metrics were measured on"),
    dg.TableColumn("train_rows", "INTEGER", description="rows of final_mix the student was trained on"),
    dg.TableColumn("embedder", "VARCHAR", description="the embedding model of the embedding-space metrics"),
]
_ROUND_FACTS = [
    dg.TableColumn("verified_rate", "DOUBLE", description="passed / checkable traces this round"),
    dg.TableColumn("human_fraction", "DOUBLE", description="share of human rows in the mix"),
]


def _metric_columns() -> list[dg.TableColumn]:
    from synth_assets.collapse.intervals import LEVEL, RESAMPLES
    from synth_assets.collapse.measure import INTERVAL_METRICS, METRICS, interval_columns

    what = f"{LEVEL:.0%} bootstrap interval ({RESAMPLES:,} resamples of the rows it counts)"
    bounds = [
        dg.TableColumn(column, "DOUBLE", description=f"{end} end of the {what} of {m.name}")
        for m in INTERVAL_METRICS
        for column, end in zip(interval_columns(m.name), ("lower", "upper"), strict=True)
    ]
    return [dg.TableColumn(m.name, m.sql_type, description=m.description) for m in METRICS] + bounds


def _schema(*groups: list[dg.TableColumn]) -> dg.TableSchema:
    return dg.TableSchema(columns=[c for g in groups for c in g])


HUMAN_SEEDS = _schema(_CONTRACT, _TASK, _RESPONSE, _HUMAN)
HELDOUT_HUMAN = HUMAN_SEEDS
PERSONAS = _schema(
    _CONTRACT, [dg.TableColumn("persona", "VARCHAR", description="who the persona recipe writes tasks as")], _HUMAN
)
CONSTITUTION = _schema(
    _CONTRACT,
    [
        dg.TableColumn("principle_id", "VARCHAR", description="the principle's id in the constitution file"),
        dg.TableColumn("critique", "VARCHAR", description="how a response is critiqued against the principle"),
        dg.TableColumn("revision", "VARCHAR", description="how a response is revised to meet it"),
        dg.TableColumn("comparison", "VARCHAR", description="the question that picks the better of two responses"),
    ],
    _HUMAN,
)
_LESSON = [
    dg.TableColumn("subject", "VARCHAR", description="math, coding or reasoning (the ladder file's subjects)"),
    dg.TableColumn("topic", "VARCHAR", description="what the lesson teaches"),
    dg.TableColumn("level", "INTEGER", description="rung of the ladder, 1 = the first level"),
    dg.TableColumn("level_name", "VARCHAR", description="the level's name (beginner, intermediate, ...)"),
]
CURRICULUM = _schema(_CONTRACT, _LESSON, _HUMAN)
_SNIPPET = [
    dg.TableColumn("module", "VARCHAR", description="standard library module the function is from"),
    dg.TableColumn("function", "VARCHAR", description="the function's name"),
    dg.TableColumn("file", "VARCHAR", description="its file, relative to the standard library's directory"),
    dg.TableColumn("line", "INTEGER", description="the line its definition starts on"),
    dg.TableColumn("source", "VARCHAR", description="the function's source code, as written"),
    dg.TableColumn("python_version", "VARCHAR", description="the interpreter whose standard library it is"),
]
CODE_SNIPPETS = _schema(_CONTRACT, _SNIPPET)
SEED_SET = _schema(_CONTRACT, _TASK, _RESPONSE)
_GENERATION_FAILURE = [
    dg.TableColumn(
        "failure",
        "VARCHAR",
        description="why this call produced no task ('call: <error class>' or 'parse: ...'); null for tasks",
    )
]
_RECIPE_PARAMS = [
    dg.TableColumn(
        "recipe_params",
        "VARCHAR",
        description="the recipe's parameters for this row as JSON (evolution operation, depth and root; persona)",
    )
]
GENERATED_INSTRUCTIONS = _schema(_CONTRACT, _TASK, _GENERATION_FAILURE, _RECIPE_PARAMS)
_CHECKED = [
    dg.TableColumn(
        "checked_verdict",
        "VARCHAR",
        description="ground-truth verdict the rejection-sampling loop gave ('passed', 'failed', 'no_answer'); "
        "verified_traces carries it instead of checking again; null when the task has no ground truth",
    ),
    dg.TableColumn("checked_answer", "VARCHAR", description="final answer the loop extracted (math)"),
    dg.TableColumn("checked_evidence", "VARCHAR", description="why the loop's check decided as it did"),
]
COT_TRACES = _schema(_CONTRACT, _TASK, _RESPONSE, _TRACE, _CHECKED)
VERIFIED_TRACES = _schema(_CONTRACT, _TASK, _RESPONSE, _TRACE, _VERDICT)
FILTERED_SET = _schema(_CONTRACT, _TASK, _RESPONSE, _TRACE, _VERDICT, _FILTER)
_WEIGHT = [
    dg.TableColumn(
        "weight",
        "DOUBLE",
        description="training weight, mean 1 over the mix: 1.0 everywhere unless the experiment sets human_weight "
        "(then the human rows together carry that share of the total)",
    )
]
FINAL_MIX = _schema(_CONTRACT, _TASK, _RESPONSE, _WEIGHT)
COLLAPSE_METRICS = _schema(_METRICS_HEAD, _metric_columns(), _ROUND_FACTS)
AGENT_TRAJECTORIES = _schema(
    _CONTRACT,
    _TASK,
    [
        dg.TableColumn("task_id", "VARCHAR", description="id of the task row the agent solved"),
        dg.TableColumn(
            "messages",
            "VARCHAR",
            description="the whole trajectory as JSON messages in the Hugging Face tool-use format: system, user, "
            "assistant turns with tool_calls, a tool message per result, the final answer",
        ),
        dg.TableColumn("final_answer", "VARCHAR", description="the model's last turn without a tool call"),
        dg.TableColumn("steps", "INTEGER", description="model calls the trajectory took"),
        dg.TableColumn("tool_calls", "INTEGER", description="tool calls executed"),
        dg.TableColumn("tool_errors", "INTEGER", description="tool calls that returned an error"),
        dg.TableColumn(
            "verdict",
            "VARCHAR",
            description="passed / failed / no_answer against ground truth; "
            "'unverifiable' where the task has none; null for failed trajectories",
        ),
        dg.TableColumn("verifier", "VARCHAR", description="which check decided (math by value: math_reference)"),
        dg.TableColumn("evidence", "VARCHAR", description="why the check decided as it did"),
        dg.TableColumn(
            "failure",
            "VARCHAR",
            description="why the trajectory has no final answer ('call:', 'steps:', 'loop:', 'tool:'); null otherwise",
        ),
    ],
)
DIALOGUES = _schema(
    _CONTRACT,
    _TASK,
    [
        dg.TableColumn("task_id", "VARCHAR", description="the task the conversation starts from"),
        dg.TableColumn(
            "messages",
            "VARCHAR",
            description="the conversation as JSON chat messages: the task, the answer, then each simulated "
            "user follow-up and the assistant's answer to it",
        ),
        dg.TableColumn("user_turns", "INTEGER", description="user messages in the conversation, the task included"),
        dg.TableColumn("moves", "VARCHAR", description="the simulated user's move per follow-up, as JSON"),
        dg.TableColumn(
            "failure",
            "VARCHAR",
            description="why the dialogue stopped short ('call: ...', 'parse: ...'); null otherwise",
        ),
    ],
)
_FEEDBACK = [
    dg.TableColumn(
        "source",
        "VARCHAR",
        description="'verified' (a trace that passed ground truth over one that failed), 'constitutional' (a "
        "revision over the response it revised) or 'ai_feedback' (the feedback model's choice of two responses)",
    ),
    dg.TableColumn("task_id", "VARCHAR", description="the task the responses answer"),
    dg.TableColumn("prompt", "VARCHAR", description="the user turn: instruction and input"),
    dg.TableColumn("principle_id", "VARCHAR", description="the constitution's principle the feedback was asked under"),
]
AI_PREFERENCES = _schema(
    _CONTRACT,
    _FEEDBACK,
    [
        dg.TableColumn("first_id", "VARCHAR", description="filtered_set id of the response revised or compared"),
        dg.TableColumn("first", "VARCHAR", description="that response"),
        dg.TableColumn("second_id", "VARCHAR", description="ai_feedback: filtered_set id of the other response"),
        dg.TableColumn(
            "second", "VARCHAR", description="ai_feedback: the other response; constitutional: the revision"
        ),
        dg.TableColumn("critique", "VARCHAR", description="constitutional: the model's critique of the first response"),
        dg.TableColumn(
            "preferred",
            "VARCHAR",
            description="which side the feedback model chose in both orders: 'first' or 'second' (for a revision, "
            "'second' is the revision), 'inconsistent' when the swap changed its answer; null on failure",
        ),
        dg.TableColumn("votes", "VARCHAR", description="its answer in each order (A or B), then its reasons, as JSON"),
        dg.TableColumn(
            "failure",
            "VARCHAR",
            description="why the row holds no pair ('call: ...', 'parse: ...', 'revision: unchanged'); null otherwise",
        ),
    ],
)
_PAIR = [
    dg.TableColumn("chosen", "VARCHAR", description="the preferred response (verified, revised or chosen)"),
    dg.TableColumn("rejected", "VARCHAR", description="the other response"),
    dg.TableColumn(
        "chosen_id",
        "VARCHAR",
        description="filtered_set id of the chosen trace (constitutional: the ai_preferences row)",
    ),
    dg.TableColumn("rejected_id", "VARCHAR", description="filtered_set id of the rejected trace"),
    dg.TableColumn("chosen_evidence", "VARCHAR", description="why the chosen side won: its verdict, or the feedback"),
    dg.TableColumn("rejected_evidence", "VARCHAR", description="why the rejected side lost"),
    dg.TableColumn("critique", "VARCHAR", description="constitutional: the critique the revision answers"),
]
PREFERENCE_PAIRS = _schema(_CONTRACT, _FEEDBACK, _PAIR)


def column_names(schema: dg.TableSchema) -> list[str]:
    return [c.name for c in schema.columns]


def ddl(schema: dg.TableSchema) -> str:
    return ", ".join(f'"{c.name}" {c.type}' for c in schema.columns)
