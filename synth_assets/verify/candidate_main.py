"""Runs inside the sandbox: the candidate's program, then its functions served to the harness.

One JSON line a call on stdin (`{"call": name, "args": ...}`), one JSON line a reply on the reply
fd, plain data only (`plain_data`). Nothing that decides a verdict is in this process: the tests
and every comparison live in the harness, in another process this one cannot see. Whatever the
candidate does here (replace builtins, patch this loop, write to the reply fd itself) changes at
most what it answers, which is no more than returning that answer.

The audit hook is a second line of defence only; the boundary is the sandbox (namespaces, an
unprivileged uid, limits). Standard library only, started with `-I -S`.
"""

import json
import os
import sys

_DENY = (
    "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
    "socket.", "ctypes.", "os.kill", "os.killpg", "pty.spawn", "os.putenv", "os.chdir", "signal.pidfd_send_signal",
)  # fmt: skip
_MODULES = ("ctypes", "_ctypes", "_posixsubprocess", "multiprocessing", "_xxsubinterpreters")


def _guard(event, args):
    if event.startswith(_DENY):
        raise PermissionError(f"sandbox: {event} is not allowed")
    if event == "import" and args and str(args[0]).split(".")[0] in _MODULES:
        raise PermissionError(f"sandbox: importing {args[0]} is not allowed")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    import plain_data

    reply_fd = int(sys.argv[1])
    encode, decode, not_plain = plain_data.encode, plain_data.decode, plain_data.NotPlainData
    write, dumps, loads = os.write, json.dumps, json.loads

    def reply(message):
        write(reply_fd, (dumps(message) + "\n").encode())

    with open("candidate.py", encoding="utf-8") as f:
        program = f.read()
    requests = sys.stdin.buffer
    namespace = {"__name__": "__main__"}
    sys.addaudithook(_guard)
    try:
        exec(compile(program, "candidate.py", "exec"), namespace)
    except BaseException as exc:  # whatever the program did, the harness hears of it
        reply({"load_error": f"{type(exc).__name__}: {str(exc)[:500]}"})
        return
    reply({"ready": True})
    for line in requests:
        request = loads(line)
        function = namespace.get(request["call"])
        if not callable(function):
            reply({"raised": "NameError", "message": f"{request['call']} is not defined"})
            continue
        try:
            value = function(*decode(request["args"]))
        except BaseException as exc:
            reply({"raised": type(exc).__name__, "message": str(exc)[:500]})
            continue
        try:
            reply({"value": encode(value)})
        except not_plain as exc:
            reply({"not_plain": str(exc)[:300]})


main()
