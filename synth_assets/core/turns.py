"""The user turn of a task, the same wherever a task is shown to a model or written for training."""


def user_turn(instruction: str, task_input: str | None) -> str:
    return instruction if not task_input else f"{instruction}\n\nInput:\n{task_input}"
