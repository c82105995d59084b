"""Abuse cases: what a model's code might do, and what it must not be able to do to the run."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from synth_assets.seeds.humaneval import humaneval_tasks
from synth_assets.verify.code_tests import check_code, program_for
from synth_assets.verify.sandbox import PROJECT_ROOT, SandboxLimits, namespaces_available, run_python

FAST = SandboxLimits(wall_s=3.0, cpu_s=2, memory_mb=256)


def test_every_humaneval_reference_solution_passes_and_a_wrong_one_fails() -> None:
    """The sandbox must not break honest code: all 164 canonical solutions pass."""
    tasks = humaneval_tasks(164)
    assert len(tasks) == 164
    failures = [t["id"] for t in tasks if not check_code(t["prompt"], t["solution"], t["tests"]).passed]
    assert failures == []
    wrong = check_code(tasks[0]["prompt"], "    return True\n", tasks[0]["tests"])
    assert (wrong.passed, wrong.status) == (False, "failed") and "AssertionError" in wrong.reason


def test_infinite_loop_is_cut_by_the_limits() -> None:
    result = run_python("while True:\n    pass\n", "", FAST)
    assert result.status == "timeout" and result.seconds < 5


def test_sleeping_forever_is_cut_by_the_wall_clock() -> None:
    result = run_python("import time\ntime.sleep(60)\n", "", SandboxLimits(wall_s=1.0))
    assert result.status == "timeout" and result.seconds < 3


def test_huge_allocation_fails_inside_the_sandbox() -> None:
    result = run_python("x = bytearray(8 * 1024**3)\n", "", FAST)
    assert result.status == "error" and "MemoryError" in result.stderr


def test_fork_bomb_and_subprocesses_are_refused() -> None:
    bomb = run_python("import os\nwhile True:\n    os.fork()\n", "", FAST)
    assert bomb.status == "blocked" and "os.fork" in bomb.stderr
    spawn = run_python("import subprocess\nsubprocess.run(['true'])\n", "", FAST)
    assert spawn.status in ("blocked", "error")
    mp = run_python("import multiprocessing\n", "", FAST)
    assert mp.status == "blocked"


def test_rm_rf_does_not_touch_anything(tmp_path: Path) -> None:
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    for attack in (
        f"import os\nos.system('rm -rf {tmp_path}')\n",
        f"import shutil\nshutil.rmtree({str(tmp_path)!r})\n",
        f"import os\nos.remove({str(victim)!r})\n",
        f"open({str(victim)!r}, 'w').write('gone')\n",
    ):
        assert run_python(attack, "", FAST).status in ("blocked", "error"), attack
    assert victim.read_text() == "keep me"


def test_no_network() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted: list[object] = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    result = run_python(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)\n", "", FAST)
    server.close()
    assert result.status in ("blocked", "error") and not accepted


def test_project_files_and_secrets_are_out_of_reach(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-not-leak-123")
    readme = PROJECT_ROOT / "README.md"
    result = run_python(
        f"import os\nprint(os.environ.get('OPENAI_API_KEY'))\nprint(open({str(readme)!r}).read()[:30])\n", "", FAST
    )
    assert "sk-should-not-leak" not in result.stdout
    if namespaces_available():
        assert result.status == "error" and "No such file" in result.stderr
        assert "project hidden" in result.isolation


def test_exiting_early_cannot_fake_a_pass() -> None:
    for trick in ("import sys\nsys.exit(0)\n", "import os\nos._exit(0)\n", "raise SystemExit(0)\n"):
        assert run_python(trick, "assert False", FAST).status == "error", trick


def test_a_chat_answer_in_a_code_fence_is_run_as_the_function() -> None:
    stub = 'def add(a, b):\n    """Add."""\n'
    fenced = "Here you go:\n```python\ndef add(a, b):\n    return a + b\n```\n"
    assert program_for(stub, fenced).endswith("return a + b\n")
    assert program_for(stub, "    return a + b\n") == stub + "    return a + b\n"
