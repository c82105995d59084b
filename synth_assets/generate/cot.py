"""Chain-of-thought sampling: k diverse solution paths per task.

Math tasks are prompted few-shot in the seed solutions' own format (steps, then `#### N`), so the
answer line is where the verifier looks; code tasks (HumanEval) continue the function stub with
HumanEval's stop sequences; general tasks get a plain instruction-following chat turn.
"""

from __future__ import annotations

from dataclasses import dataclass

from synth_assets.core.turns import user_turn
from synth_assets.llm.base import GenerationRequest

GENERAL_SYSTEM = "You are a helpful assistant. Think the task through briefly, then give a complete, direct response."
CODE_SYSTEM = "Complete the Python function. Reply with the complete function in one ```python block."
# HumanEval's stop sequences: the function ends where the next top-level statement begins.
CODE_STOPS = ("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#")
MATH_HEADER = "Solve each problem step by step. End with a line '#### <number>'.\n\n"


@dataclass(frozen=True)
class WorkedExample:
    question: str
    solution: str


def math_prompt(question: str, shots: list[WorkedExample]) -> str:
    body = "".join(f"Question: {s.question}\nAnswer: {s.solution.strip()}\n\n" for s in shots)
    return f"{MATH_HEADER}{body}Question: {question}\nAnswer:"


def trace_request(
    family: str,
    instruction: str,
    task_input: str,
    shots: list[WorkedExample],
    max_tokens: int,
    temperature: float,
    top_p: float,
    seed: int,
) -> GenerationRequest:
    sampling = {"max_tokens": max_tokens, "temperature": temperature, "top_p": top_p, "seed": seed}
    if family == "math":
        return GenerationRequest(
            prompt=math_prompt(instruction, shots), mode="continue", stop=("\n\nQuestion:", "\nQuestion:"), **sampling
        )
    if family == "code":  # HumanEval: the model continues the function after its docstring
        return GenerationRequest(
            prompt=instruction, system=CODE_SYSTEM, mode="continue", stop=CODE_STOPS, chat_stop=(), **sampling
        )
    return GenerationRequest(prompt=user_turn(instruction, task_input), system=GENERAL_SYSTEM, mode="chat", **sampling)
