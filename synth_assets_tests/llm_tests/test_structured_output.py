"""Structured output: every schema a stage asks for is one the providers accept, both SDKs carry
it on the wire and bring back JSON, the llama.cpp grammar holds the embedded model to it, and an
answer off its schema is asked again, then kept as a failed row saying what was wrong."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from synth_assets.config.experiments import BackendConfig
from synth_assets.core.rows import content_hash
from synth_assets.generate.feedback import choice, critique
from synth_assets.generate.recipes import code_grounded, curriculum, evol_instruct, persona
from synth_assets.generate.roles import structured
from synth_assets.generate.self_instruct import NEW_TASKS
from synth_assets.llm.anthropic_backend import AnthropicAPI
from synth_assets.llm.base import GenerationRequest
from synth_assets.llm.cache import ResponseCache
from synth_assets.llm.openai_backend import OpenAIAPI
from synth_assets.llm.session import FORMAT_ATTEMPTS, GenerationSession
from synth_assets.llm.structured import MalformedOutput, OutputSchema
from synth_assets.verify.judge import GRADE
from synth_assets_tests.llm_tests.remote import backend
from synth_assets_tests.support.loopback_server import LoopbackLLMServer, structured_request_problem

SCHEMAS = [NEW_TASKS, evol_instruct.EVOLVED, persona.PERSONA, curriculum.SECTION, code_grounded.QUESTION,
           code_grounded.CALL, GRADE, critique.CRITIQUE, critique.REVISION, choice.CHOICE]  # fmt: skip
GOOD = {
    "new_tasks": {"tasks": ["Plan a picnic for six people.", "Name three rivers in Asia."]},
    "evolved_task": {"task": "Plan a picnic for six people on a budget of $40."},
    "persona": {"person": "a retired sailor who collects old maps"},
    "textbook_section": {"lesson": "Fractions split a whole.", "exercise": "What is 1/2 of 8?", "answer": "4"},
    "code_question": {"question": "What does it return for an empty list?"},
    "code_call": {"call": "shorten('Hello world', width=8)"},
    "grade": {"score": 7, "reason": "Mostly right."},
    "critique": {"critique": "The second step adds where it should multiply."},
    "revision": {"revision": "3 boxes of 4 pens are 3 * 4 = 12 pens."},
    "choice": {"reason": "B shows its steps.", "better": "B"},
}


def _request(output: OutputSchema, prompt: str = "Answer.", max_tokens: int = 64) -> GenerationRequest:
    return GenerationRequest(prompt=prompt, max_tokens=max_tokens, temperature=0.7, seed=1, output=output)


@pytest.mark.parametrize("output", SCHEMAS, ids=lambda o: o.name)
def test_every_schema_is_one_both_providers_accept(output: OutputSchema) -> None:
    openai_body = OpenAIAPI("m", "k").params(_request(output))
    anthropic_body = AnthropicAPI("m", "k").params(_request(output))
    assert structured_request_problem(openai_body) is None and structured_request_problem(anthropic_body) is None
    assert openai_body["response_format"]["json_schema"]["strict"] is True
    assert anthropic_body["tool_choice"] == {"type": "tool", "name": output.name}
    assert output.validate(json.dumps(GOOD[output.name])) == GOOD[output.name]


def test_the_loopback_server_refuses_what_strict_mode_refuses() -> None:
    """The fake enforces the rules, so the test above can fail: a length bound, an open object."""
    closed = {"type": "object", "required": ["a"], "additionalProperties": False}
    loose = OutputSchema.of("loose", {**closed, "properties": {"a": {"type": "string", "maxLength": 5}}})
    body = {"response_format": {"type": "json_schema", "json_schema": {"name": "loose", "schema": loose.schema,
                                                                       "strict": True}}}  # fmt: skip
    assert "'maxLength' is not permitted" in (structured_request_problem(body) or "")
    body["response_format"]["json_schema"]["schema"] = {"type": "object", "properties": {"a": {"type": "string"}}}
    assert "'additionalProperties' must be false" in (structured_request_problem(body) or "")
    tools = {"tools": [{"name": "t", "input_schema": {"type": "object"}}], "tool_choice": {"type": "tool", "name": "u"}}
    assert "not in tools" in (structured_request_problem(tools) or "")


def test_validation_says_what_is_wrong_and_where() -> None:
    with pytest.raises(MalformedOutput, match=r"not JSON"):
        NEW_TASKS.validate("1. Plan a picnic.")
    with pytest.raises(MalformedOutput, match=r"new_tasks: tasks: \[\] should be non-empty"):
        NEW_TASKS.validate('{"tasks": []}')
    with pytest.raises(MalformedOutput, match=r"grade: score: 11 is not one of"):
        GRADE.validate('{"score": 11, "reason": "x"}')
    assert NEW_TASKS.validate('{"tasks": ["Line one\nline two"]}')  # a raw newline, as grammars allow


def test_a_free_text_request_keeps_the_cache_key_it_had() -> None:
    request = GenerationRequest(prompt="Write a haiku.", seed=3, stop=("\n\n",), chat_stop=("END",))
    later = ("output", "turns", "tools")  # fields added since (structured output, tool use, dialogues)
    before = {k: v for k, v in asdict(request).items() if k not in later}
    assert request.key("llamacpp:m") == content_hash("llamacpp:m", before, length=32)
    assert _request(NEW_TASKS).key("l") != _request(evol_instruct.EVOLVED).key("l")  # the schema is in the key


def test_who_is_asked_for_json() -> None:
    """`auto` (the default): every parsed answer, except a list of tasks from a model that
    continues raw text; `true`: all of them; `false` and the n-gram student: none."""

    class Local:
        structured_output, raw_continuation = True, True

    class Chat:
        structured_output, raw_continuation = True, False

    class Ngram:
        structured_output, raw_continuation = False, True

    auto, always, never = BackendConfig(), BackendConfig(structured_output=True), BackendConfig(structured_output=False)
    assert auto.structured_output == "auto"
    assert structured(Local(), auto) and not structured(Local(), auto, task_list=True)  # type: ignore[arg-type]
    assert structured(Chat(), auto, task_list=True) and structured(Local(), always, task_list=True)  # type: ignore[arg-type]
    assert not structured(Ngram(), always) and not structured(Chat(), never)  # type: ignore[arg-type]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_both_sdks_carry_the_schema_and_bring_back_json(provider: str) -> None:
    seen: dict[str, Any] = {}

    def answer(prompt: str, params: dict[str, Any]) -> str:
        seen[params["output"]] = params["schema"]
        return json.dumps(GOOD[params["output"]])

    with LoopbackLLMServer(responder=answer) as server:
        session = GenerationSession(backend(provider, server), None)
        results = session.generate([_request(o, prompt=o.name) for o in SCHEMAS])
    assert [json.loads(r.text) for r in results] == [GOOD[o.name] for o in SCHEMAS]
    # what went on the wire: OpenAI's strict form, Anthropic's tool input schema
    assert seen == {o.name: o.strict_schema() if provider == "openai" else o.schema for o in SCHEMAS}
    assert session.stats.format_retries == 0


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_an_answer_off_its_schema_is_asked_again_then_kept_as_malformed(provider: str, tmp_path: Path) -> None:
    """`late` is prose once, then JSON; `never` is always an empty list; `cut` is too long for its
    budget until the budget has grown (it doubles, up to 4x)."""
    asked: Counter[str] = Counter()
    budgets: list[int] = []

    def answer(prompt: str, params: dict[str, Any]) -> str:
        asked[prompt] += 1
        if prompt == "late":
            return "Sure! Here are some tasks." if asked[prompt] == 1 else json.dumps(GOOD["new_tasks"])
        if prompt == "cut":
            budgets.append(params["max_tokens"])
            return json.dumps({"tasks": [" ".join(["word"] * 20)]})
        return json.dumps({"tasks": []})

    with LoopbackLLMServer(responder=answer) as server:
        session = GenerationSession(backend(provider, server), ResponseCache(tmp_path / "cache"))
        late, never, cut = session.generate(
            [_request(NEW_TASKS, "late"), _request(NEW_TASKS, "never"), _request(NEW_TASKS, "cut", max_tokens=8)]
        )
    assert late.ok and json.loads(late.text) == GOOD["new_tasks"] and late.attempts == 2
    assert never.error_kind == "malformed_response" and never.attempts == FORMAT_ATTEMPTS
    assert "new_tasks: tasks: [] should be non-empty" in (never.error or "")
    assert cut.ok and budgets == [8, 16, 32] and cut.attempts == 3
    assert asked == {"late": 2, "never": FORMAT_ATTEMPTS, "cut": 3}
    assert session.stats.format_retries == 1 + (FORMAT_ATTEMPTS - 1) + 2 and session.stats.failed == 1
    assert session.cache is not None and session.cache.count() == 2  # the malformed answer is not remembered


@pytest.mark.slow
def test_the_embedded_model_is_held_to_every_schema() -> None:
    """llama.cpp's grammar, built from each schema, on SmolLM2: every answer validates."""
    from synth_assets.llm.llamacpp_backend import LlamaCppGenerator

    prompts = {
        "new_tasks": 'Write two new tasks for an AI assistant. Answer as {"tasks": ["...", "..."]}.',
        "evolved_task": 'Make this task harder: "Name a fruit." Answer as {"task": "..."}.',
        "persona": 'Who would ask "How do I fix a flat tyre?" Answer as {"person": "a ..."}.',
        "textbook_section": "Write a short lesson on fractions, one exercise and its answer, as JSON.",
        "code_question": 'Ask one question about `len`. Answer as {"question": "...?"}.',
        "code_call": 'Write one call to `len` with a literal argument. Answer as {"call": "len(...)"}.',
        "grade": 'Grade the answer "4" to "What is 2 + 2?" from 1 to 10. Answer as {"score": N, "reason": "..."}.',
        "critique": 'Critique the answer "5" to "What is 2 + 2?". Answer as {"critique": "..."}.',
        "revision": 'Rewrite the answer "5" to "What is 2 + 2?" so it is right. Answer as {"revision": "..."}.',
        "choice": 'Which answer to "What is 2 + 2?" is better, A: "5" or B: "4"? Answer as '
        '{"reason": "...", "better": "A" or "B"}.',
    }
    local = LlamaCppGenerator("SmolLM2-135M-Instruct.Q4_1", n_threads=2)
    with GenerationSession(local, None) as session:
        results = session.generate([_request(o, prompts[o.name], max_tokens=96) for o in SCHEMAS])
    for output, result in zip(SCHEMAS, results, strict=True):
        assert result.ok, (output.name, result.error)
        assert output.validate(result.text)
