"""The first process of a sandbox, on the host side: joins the sandbox's cgroups, sets its
rlimits, starts bwrap, and reaps every process that ends under it.

bwrap does not wait for the init of its PID namespace when the program exits by itself; that
init is orphaned to the host's PID 1, which in a container (or a Dagster run worker that is PID 1
in its pod) may never reap it, and each check left a zombie that counted against the process
limit. As a child subreaper this process adopts such orphans and reaps them, and exits with
bwrap's status once nothing is left.

argv: a JSON object (`procs`: cgroup.procs files to join; `rlimits`: {name: [soft, hard]}),
then the command. Standard library only, started with `-I -S`.
"""

import ctypes
import json
import os
import resource
import sys

PR_SET_CHILD_SUBREAPER = 36


def main():
    config = json.loads(sys.argv[1])
    command = sys.argv[2:]
    for procs in config.get("procs", []):
        with open(procs, "w") as f:  # before anything else runs: all that follows is charged there
            f.write(str(os.getpid()))
    for name, (soft, hard) in config.get("rlimits", {}).items():
        resource.setrlimit(getattr(resource, name), (soft, hard))
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    child = os.fork()
    if child == 0:
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    status = 1
    while True:
        try:
            pid, code = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if pid == child:
            status = os.waitstatus_to_exitcode(code)
    sys.exit(status if status >= 0 else 128 - status)


main()
