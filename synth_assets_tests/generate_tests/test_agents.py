"""Agent trajectories with executed tools: the calculator computes and refuses exactly, Python
runs in the sandbox (an exception comes back to the model, a loop or a flood ends the
trajectory), both SDKs carry tool calls and tool results on the wire by the protocol's rules,
the loop stops at its step limit or when a call repeats, the final answer must be computed to
pass, and finished trajectories export in the tool-use messages format `datasets` loads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import datasets
import pytest

from synth_assets.export.files import write_jsonl_and_parquet
from synth_assets.export.formats import agent_sft_record
from synth_assets.generate.agent.calculator import CalculatorError, calculate
from synth_assets.generate.agent.python_tool import run_python
from synth_assets.generate.agent.trajectory import SYSTEM, AgentSettings, run_agents
from synth_assets.generate.agent.transcript import messages, tool_work
from synth_assets.llm.session import GenerationSession
from synth_assets.verify.sandbox import SandboxPolicy
from synth_assets.verify.tool_answers import check_agent_answer
from synth_assets_tests.llm_tests.remote import PROVIDERS, backend
from synth_assets_tests.support.loopback_server import LoopbackLLMServer, ToolUse

SETTINGS = AgentSettings(max_steps=4, max_tokens=128, temperature=0.7, top_p=1.0, seed=1)
POLICY = SandboxPolicy()


@pytest.mark.parametrize(
    ("expression", "value"),
    [("3 * 4", "12"), ("(17 - 5) / 4", "3"), ("2 ** 10 - 1", "1023"), ("1/3", "0.333333333333"), ("-7 // 2", "-4"),
     ("1,200 × 3", "3600"), ("0.1 + 0.2", "0.3")],
)  # fmt: skip
def test_the_calculator_computes_exactly(expression: str, value: str) -> None:
    assert calculate(expression) == value


@pytest.mark.parametrize(
    ("expression", "says"),
    [("__import__('os').system('id')", "only numbers"), ("x + 1", "only numbers"), ("9 ** 9 ** 9", "whole exponent"),
     ("10 ** 60 * 10 ** 61", "more than 120 digits"), ("1 / 0", "division by zero"), ("2 ^ 3", r"use \*\*"),
     ("(1).real", "only numbers"), ("", "empty"), ("1 +", "not an arithmetic expression")],
)  # fmt: skip
def test_the_calculator_refuses_what_is_not_bounded_arithmetic(expression: str, says: str) -> None:
    with pytest.raises(CalculatorError, match=says):
        calculate(expression)


def test_python_runs_in_the_sandbox_and_its_failures_come_back() -> None:
    printed = run_python("print(sum(range(5)))\nimport os\nprint(os.getuid() != 0)", POLICY)
    assert (printed.output.split(), printed.error, printed.limit) == (["10", "True"], None, False)
    shown = run_python("x = 4\nx * 11", POLICY)  # a last bare expression is shown, as in a notebook
    assert (shown.output.strip(), shown.error) == ("44", None)
    raised = run_python("print('before')\n1 / 0", POLICY)
    assert raised.output.strip() == "before" and raised.error == "ZeroDivisionError: division by zero"
    assert not raised.limit  # the model may fix its code: the trajectory goes on
    looped = run_python("while True:\n    pass", POLICY)
    # the CPU limit ends it (the sandbox reports the candidate gone, or the wall clock first)
    assert looped.limit and looped.error and looped.error.startswith(("timeout", "error: the candidate's process"))
    flood = run_python("print('x' * 50_000_000)", POLICY)
    assert flood.limit or len(flood.output) <= 2000  # cut at the sandbox or at the tool's own cap


def agent(prompt: str, params: dict[str, Any]) -> str | list[ToolUse]:
    """Computes with the calculator, reads the result, answers; other behaviours by task."""
    turns = params.get("turns", [])
    assert params.get("tools") == ["calculator", "python"]
    results = [t["content"] for t in turns if t["role"] == "tool"]
    if "LOOP" in prompt:
        return [ToolUse("calculator", {"expression": "1 + 1"})]
    if "HANG" in prompt and not results:
        return [ToolUse("python", {"code": "while True:\n    pass"})]
    if "ASSERT" in prompt and not results:
        return [ToolUse("python", {"code": "print(12)"})]
    if "TYPO" in prompt and not results:
        return [ToolUse("calculater", {"expression": "3 * 4"})]
    if not results or results[-1].startswith("Error:"):
        return [ToolUse("calculator", {"expression": "3 * 4"})]
    return f"Each of 3 boxes holds 4 pens, so the tool says {results[-1]}.\n#### {results[-1]}"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_trajectories_over_both_sdks_follow_the_tool_protocol(provider: str) -> None:
    tasks = [("ok", "How many pens are in 3 boxes of 4?"), ("loop", "LOOP"), ("hang", "HANG"),
             ("assert", "ASSERT pens?"), ("typo", "TYPO pens?")]  # fmt: skip
    with LoopbackLLMServer(responder=agent) as server:
        done = run_agents(tasks, GenerationSession(backend(provider, server), None), SETTINGS, POLICY)
        refused = [e for e in server.log.entries if e.get("status") == 400]
    assert not refused  # every second step's tool results were accepted on the wire
    ok, loop, hang, asserted, typo = done
    assert ok.final == "Each of 3 boxes holds 4 pens, so the tool says 12.\n#### 12"
    assert (ok.steps, ok.tool_calls, ok.failure) == (2, 1, None)
    assert loop.failure is not None and loop.failure.startswith("loop: the same calculator call")
    assert loop.steps == 3  # cut at the third repeat, before the step limit
    assert hang.failure is not None and hang.failure.startswith("tool: python hit a sandbox limit: ")
    assert typo.failure is None and typo.tool_errors == 1 and typo.steps == 3  # told, then recovered
    assert "no tool named 'calculater'" in typo.turns[1].content

    history = messages(ok, SYSTEM)
    assert [m["role"] for m in history] == ["system", "user", "assistant", "tool", "assistant"]
    assert history[2]["tool_calls"][0]["function"] == {"name": "calculator", "arguments": {"expression": "3 * 4"}}
    assert history[3]["tool_call_id"] == history[2]["tool_calls"][0]["id"] and history[3]["content"] == "12"

    computed = check_agent_answer("math", "How many pens are in 3 boxes of 4?", ok.final or "", "12", tool_work(ok))
    assert computed.verdict == "passed" and "computed by a tool" in computed.evidence
    echoed = check_agent_answer("math", "pens?", asserted.final or "", "12", tool_work(asserted))
    assert echoed.verdict == "failed"  # print(12) computes nothing, and the text derives nothing


def test_the_step_limit_ends_a_trajectory_and_says_what_went_wrong_last() -> None:
    def stubborn(prompt: str, params: dict[str, Any]) -> list[ToolUse]:
        n = len([t for t in params.get("turns", []) if t["role"] == "tool"])
        return [ToolUse("calculator", {"expression": f"{n} / 0"})]

    with LoopbackLLMServer(responder=stubborn) as server:
        [t] = run_agents([("t", "Divide.")], GenerationSession(backend("openai", server), None), SETTINGS, POLICY)
    assert t.steps == 4 and t.tool_errors == 4
    assert t.failure == "steps: no final answer after 4 steps (last tool error: Error: division by zero)"


def test_the_protocol_check_refuses_an_unanswered_call() -> None:
    from synth_assets_tests.support.loopback_server import tool_protocol_problem

    call = {"id": "c1", "type": "function", "function": {"name": "calculator", "arguments": "{}"}}
    body = {"tools": [{"type": "function", "function": {"name": "calculator"}}],
            "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": None, "tool_calls": [call]},
                         {"role": "user", "content": "next"}]}  # fmt: skip
    assert "no result before the next turn" in (tool_protocol_problem(body) or "")
    body["messages"][2] = {"role": "tool", "tool_call_id": "c2", "content": "1"}
    assert "which no call just before it made" in (tool_protocol_problem(body) or "")


def test_finished_trajectories_load_with_hugging_face_datasets(tmp_path: Path) -> None:
    with LoopbackLLMServer(responder=agent) as server:
        done = run_agents([("a", "Pens?"), ("b", "More pens?")], GenerationSession(backend("openai", server), None),
                          SETTINGS, POLICY)  # fmt: skip
    rows = [{"id": t.key, "messages": json.dumps(messages(t, SYSTEM)), "verdict": "passed", "experiment": "e",
             "round": 0} for t in done]  # fmt: skip
    files = write_jsonl_and_parquet([agent_sft_record(r) for r in rows], tmp_path / "agent_sft")
    for fmt, builder in (("jsonl", "json"), ("parquet", "parquet")):
        loaded = datasets.load_dataset(builder, data_files=str(files[fmt]), split="train", cache_dir=str(tmp_path))
        assert len(loaded) == 2
        call = loaded[0]["messages"][2]["tool_calls"][0]["function"]
        assert call["name"] == "calculator" and call["arguments"]["expression"] == "3 * 4"
        assert [t["function"]["name"] for t in loaded[0]["tools"]] == ["calculator", "python"]


def test_the_generic_format_turns_a_grammar_held_answer_into_a_call() -> None:
    """What the embedded model is given and how its JSON comes back (llama.cpp's generic format)."""
    from synth_assets.generate.agent.toolbox import TOOLS
    from synth_assets.llm import tool_format
    from synth_assets.llm.base import Generation, GenerationRequest

    request = GenerationRequest(prompt="Pens?", system="Solve.", tools=tuple(TOOLS.values()))
    given = tool_format.as_generic(request)
    assert given.tools == () and given.output is not None and "calculator: Evaluate" in (given.system or "")
    call = Generation('{"tool_call": {"name": "calculator", "arguments": {"expression": "3*4"}}}', "stop")
    back = tool_format.from_generic(request, call)
    assert back.finish_reason == "tool_calls" and back.tool_calls[0].parsed() == {"expression": "3*4"}
    assert tool_format.from_generic(request, Generation('{"response": "#### 12"}', "stop")).text == "#### 12"
    wrong_tool = Generation('{"tool_call": {"name": "python", "arguments": {"expression": "1"}}}', "stop")
    assert tool_format.from_generic(request, wrong_tool).error_kind == "malformed_response"


@pytest.mark.slow
def test_the_embedded_model_runs_trajectories_in_the_generic_format() -> None:
    """SmolLM2 held by the grammar: every step parses (no malformed answer), and every
    trajectory ends with an answer or a failure that says why."""
    from synth_assets.llm.llamacpp_backend import LlamaCppGenerator

    tasks = [("a", "A box holds 4 pens. How many pens are in 3 boxes?"), ("b", "What is 17 times 23?")]
    local = LlamaCppGenerator("SmolLM2-135M-Instruct.Q4_1", n_threads=2)
    with GenerationSession(local, None) as session:
        done = run_agents(tasks, session, AgentSettings(3, 96, 0.7, 0.95, 5), POLICY)
        assert session.stats.failed == 0
    for t in done:
        assert t.final or (t.failure or "").split(":")[0] in ("steps", "loop", "tool"), t


def test_a_cached_step_keeps_its_tool_calls(tmp_path: Path) -> None:
    """A re-run replays an agent's steps from the cache: the calls come back, not an empty answer."""
    from synth_assets.llm.base import Generation
    from synth_assets.llm.cache import ResponseCache
    from synth_assets.llm.tools import ToolCall

    cache = ResponseCache(tmp_path)
    step = Generation("", "tool_calls", 10, 5, tool_calls=(ToolCall("call_1", "calculator", '{"expression": "3*4"}'),))
    cache.put("k", step)
    cache.put("plain", Generation("12", "stop", 3, 1))
    assert cache.get("k") == step and cache.get("plain") == Generation("12", "stop", 3, 1)
    cache.close()
