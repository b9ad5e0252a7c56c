"""The supervisor with a template, in-process: a stub template speaks the template's
protocol and forks (twice) the same stub instance as test_supervisor's, so the session's
logic runs for real: which start forks and which is cold, and why; the instance re-parented
to the supervisor, waited for and stopped as a child it started itself; a template that is
out of date, a restart-on change, and a forked instance that says it may differ from a cold
start; nothing left behind."""

import json
import logging
import os
import re
import sys
import textwrap

import test_supervisor
from test_supervisor import STUB, Stub, messages, supervise

from collective.autorestart import contract
from collective.autorestart.supervisor import template
from collective.autorestart.supervisor.template import Template

# test_supervisor's fixtures: its configuration, and its checks that no handler and no
# process is left behind.
config = test_supervisor.config
handlers_restored_and_nothing_left_behind = test_supervisor.handlers_restored_and_nothing_left_behind
info_logs = test_supervisor.info_logs

# A template: ready at once; for each fork request, the grandchild becomes the supervisor's
# (it waits until it is re-parented), says "child PID" and runs the stub instance.  With
# STUB_TEMPLATE_STALE, it answers the first request as an out-of-date template does.
STUB_TEMPLATE = textwrap.dedent(
    """\
    import json, os, socket, sys, time

    STUB = {stub!r}
    sock = socket.socket(fileno=int(os.environ.pop({fd_variable!r})))
    with open(os.environ["STUB_STATE"]) as notes:
        first = not any(line.startswith("template ") for line in notes)
    with open(os.environ["STUB_STATE"], "a") as notes:
        notes.write("template %d\\n" % os.getpid())
    sock.sendall(b'ready {{"seconds": 0.1, "modules": 7, "inputs": 7}}\\n')
    if first and os.environ.get("STUB_TEMPLATE_GOES_STALE"):
        time.sleep(0.1)
        sock.sendall(b"stale /eggs/some.egg/module.py changed\\n")
        sys.exit(0)
    while True:
        data, fds, _, _ = socket.recv_fds(sock, 65536, 4)
        if not data:
            break
        detail = json.loads(data.decode().split(" ", 1)[1])
        if os.environ.get("STUB_TEMPLATE_STALE"):
            sock.sendall(b"cold /eggs/some.egg/module.py changed\\n")
            break
        intermediate = os.fork()
        if intermediate == 0:
            if os.fork() == 0:
                while os.getppid() != detail["supervisor"]:
                    time.sleep(0.001)
                if detail["own_group"]:
                    os.setpgid(0, 0)
                env = dict(os.environ, **detail["env"])
                env[detail["fd_variable"]] = str(fds[0])
                os.set_inheritable(fds[0], True)
                sock.sendall(("child %d\\n" % os.getpid()).encode())
                os.execve(sys.executable, [sys.executable, "-c", STUB], env)
            os._exit(0)
        os.waitpid(intermediate, 0)
        for fd in fds:
            os.close(fd)
    """
).format(stub=STUB, fd_variable=contract.TEMPLATE_FD_VARIABLE)

RESTARTED = r"restarted in \d+ ms \(stop \d+ ms, start \d+ ms, (.*)\): "


def template_for(stub, **env):
    return Template([sys.executable, "-c", STUB_TEMPLATE], dict(stub.env, **env))


def restart_lines(caplog):
    return [re.match(RESTARTED, line).group(1) for line in messages(caplog) if re.match(RESTARTED, line)]


def parent_of(stub, start):
    return int(next(line for line in stub.notes() if line.startswith("parent %d " % start)).split()[2])


def test_after_the_first_cold_start_restarts_fork_from_the_template(tmp_path, config, caplog):
    # Each instance waits a moment before its restart: the template is built meanwhile.
    stub = Stub(
        tmp_path, ["ready", "sleep 0.5", "restart x", "wait"], ["ready", "restart y", "wait"], ["ready", "exit 0"]
    )
    status, _ = supervise(stub, config, template=template_for(stub))
    assert status == 0
    assert len(stub.starts()) == 3
    assert restart_lines(caplog) == ["forked from the template", "forked from the template"]
    assert any(
        re.fullmatch(r"template ready in 0\.1 s \(7 modules; .*\): restarts fork from it", line)
        for line in messages(caplog)
    )
    # One template for the session, stopped with it (the fixture: no child left at all).
    assert len([line for line in stub.notes() if line.startswith("template ")]) == 1
    assert stub.notes().count("sigint") == 2  # each forked instance was stopped as a child is


def test_a_restart_on_change_starts_cold_and_the_template_is_built_again(tmp_path, config, caplog):
    stub = Stub(
        tmp_path,
        ["ready", "sleep 0.5", "restart-fresh setup.py changed", "wait"],
        ["ready", "sleep 0.5", "restart x", "wait"],
        ["ready", "exit 0"],
    )
    status, _ = supervise(stub, config, template=template_for(stub))
    assert status == 0
    assert restart_lines(caplog) == [
        "cold start: a restart-on file changed, which the template may hold",
        "forked from the template",
    ]
    assert len([line for line in stub.notes() if line.startswith("template ")]) == 2


def test_an_out_of_date_template_gives_a_cold_start_that_says_why(tmp_path, config, caplog):
    stub = Stub(tmp_path, ["ready", "sleep 0.5", "restart x", "wait"], ["ready", "exit 0"])
    status, _ = supervise(stub, config, template=template_for(stub, STUB_TEMPLATE_STALE="1"))
    assert status == 0
    assert restart_lines(caplog) == ["cold start: /eggs/some.egg/module.py changed"]


def test_a_template_that_finds_itself_out_of_date_is_built_again_before_the_restart(
    tmp_path, config, caplog, monkeypatch
):
    monkeypatch.setattr(template, "STALE_AGAIN_SECONDS", 0.0)
    stub = Stub(tmp_path, ["ready", "sleep 0.8", "restart x", "wait"], ["ready", "exit 0"])
    status, _ = supervise(stub, config, template=template_for(stub, STUB_TEMPLATE_GOES_STALE="1"))
    assert status == 0
    assert "the template is out of date (/eggs/some.egg/module.py changed): building another" in messages(caplog)
    assert len([line for line in stub.notes() if line.startswith("template ")]) == 2
    assert restart_lines(caplog) == ["forked from the template"]


def test_a_forked_instance_that_may_differ_from_a_cold_start_turns_forking_off(tmp_path, config, caplog):
    stub = Stub(
        tmp_path,
        ["ready", "sleep 0.5", "restart x", "wait"],
        ["template-off m.f was replaced; x.f still holds the original", "wait"],
        ["ready", "sleep 0.5", "restart y", "wait"],
        ["ready", "exit 0"],
    )
    status, _ = supervise(stub, config, template=template_for(stub))
    assert status == 0
    assert len(stub.starts()) == 4
    warnings = messages(caplog, logging.WARNING)
    assert warnings == [
        "restarts are cold starts until bin/instance-autoreload starts again: in an instance forked from the"
        " template, m.f was replaced; x.f still holds the original"
    ]
    assert "restarting the instance: a forked instance may differ from a cold start" in messages(caplog)
    # The restart that template-off asked for and the next one: both cold, no template since.
    lines = [line for line in messages(caplog) if line.startswith("restarted in")]
    assert len(lines) == 2 and not any("forked" in line for line in lines[1:])
    assert len([line for line in stub.notes() if line.startswith("template ")]) == 1


def test_the_template_is_not_built_when_fast_restart_is_off(tmp_path, config, caplog):
    stub = Stub(tmp_path, ["ready", "sleep 0.3", "restart x", "wait"], ["ready", "exit 0"])
    status, _ = supervise(stub, config)
    assert status == 0
    assert not any("template" in line for line in messages(caplog))
    assert restart_lines(caplog) == []
    assert json.dumps(stub.notes()).count("template") == 0
    assert os.getppid() != 0
