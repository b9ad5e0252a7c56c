"""End to end: the ZODB is opened only in the instance that serves, never in the template it
is forked from (issue 23): a ZEO client's connection and a FileStorage's lock belong to the
child alone, and what is stored survives restarts that fork from the template."""

import re

import pytest

from harness.buildouts import WATCH_SRC_SILENTLY, Buildout, value_module
from harness.http import served
from harness.ports import free_port
from harness.zeo import (
    ZeoServer,
    connections_to,
    instance_beside,
    lock_holders,
    open_paths,
    template_of,
    wait_for_new_instance,
)

pytestmark = [pytest.mark.buildout, pytest.mark.zope]
# The template is built after the first start is ready: a bare Zope's takes seconds.
TEMPLATE_TIMEOUT = 120
# A save of views.py with this restarts the instance (the reloader won't run again a module
# that patches at import what it imported), and the next save restarts it again.
PATCHES_AT_IMPORT = "\nimport os\n\nos.getcwdb = os.getcwdb\n"
FORKED_RESTART = r"restarted in \d+ ms \(stop \d+ ms, start \d+ ms, forked from the template\)"


@pytest.fixture(scope="module")
def zeo_built(tmp_path_factory):
    """A buildout of its own whose instance is a client of ZEO on a port of its own, and the
    ZEO server, started on a new FileStorage for this module by the instance's interpreter
    (plone.recipe.zope2instance requires ZEO, so it is there)."""
    root = tmp_path_factory.mktemp("zeo")
    zeo_port = free_port()
    buildout = Buildout(root / "buildout")
    buildout.run(
        autoreload=WATCH_SRC_SILENTLY,
        instance="zeo-client = on\nzeo-address = 127.0.0.1:%d" % zeo_port,
    )
    interpreter = buildout.directory / "parts" / "instance" / "bin" / "interpreter"
    with ZeoServer(interpreter, root / "zeo", port=zeo_port) as zeo:
        zeo.wait_until_listening()
        yield buildout, zeo


def start_with_a_template(servers, buildout, log_name):
    """bin/instance-autoreload of buildout, once it serves and its template is ready; and
    the template's PID."""
    server = servers([str(buildout.script)], buildout.directory, buildout.directory / log_name, buildout.port)
    server.wait_for_log(r"watching \d+ directories")
    served(server, "/@@value", "value=", restarting=True)
    server.wait_for_log(r"template ready in [\d.]+ s", timeout=TEMPLATE_TIMEOUT)
    return server, template_of(server.process.pid)


def restart_by_a_save(server, template, views, value):
    """Save views.py so that the instance restarts, and wait until the new one serves value;
    returns the restart's log line (the caller checks that it forked from the template)."""
    mark = len(server.log())
    old = instance_beside(server.process.pid, template)
    views.write_text(value_module(value, extra=PATCHES_AT_IMPORT))
    wait_for_new_instance(server.process.pid, template, old)
    served(server, "/@@value", "value=%s" % value, restarting=True)
    return server.wait_for_log(r"restarted in \d+ ms \([^)]*\): .*", after=mark).group(0)


def test_a_zeo_client_connects_from_the_child_only_and_keeps_its_data_across_forked_restarts(
    zeo_built, servers, figures
):
    buildout, zeo = zeo_built
    clients_before = zeo.clients()
    server, template = start_with_a_template(servers, buildout, "zeo-client.log")
    assert server.get("/@@bump")[1] == "counter=1"
    instance = instance_beside(server.process.pid, template)
    instances = [instance]
    # The cold start (not forked) is connected; the template it preloaded is not.
    assert connections_to(instance, zeo.port) >= 1
    assert connections_to(template, zeo.port) == 0

    views = buildout.code / "views.py"
    took = []
    for round_, value in enumerate(("first-fork", "second-fork"), start=2):
        line = restart_by_a_save(server, template, views, value)
        assert re.match(FORKED_RESTART, line), line
        took.append(line.split()[2])
        assert server.get("/@@bump")[1] == "counter=%d" % round_
        # Still the first template: a save of a watched module does not rebuild it.
        instance = instance_beside(server.process.pid, template)
        instances.append(instance)
        assert connections_to(instance, zeo.port) >= 1
        assert connections_to(template, zeo.port) == 0
    # Not even for a moment in the template: one client per instance, created in it (the
    # template's output goes to the same log).
    assert zeo.clients() - clients_before == len(instances) == 3
    created = re.findall(r"ClientStorage \(pid=(\d+)\) created", server.log())
    assert [int(pid) for pid in created] == instances
    assert "Traceback" not in server.log()
    figures.append("ZEO client, restarts forked from the template (supervisor's figure): %s ms" % ", ".join(took))


@pytest.mark.usefixtures("package")
def test_the_filestorage_lock_is_held_by_the_serving_child_never_by_the_template(built, servers):
    server, template = start_with_a_template(servers, built, "filestorage-lock.log")
    storage = built.directory / "var" / "filestorage"
    lock = storage / "Data.fs.lock"

    def assert_only_the_instance_holds_the_storage():
        instance = instance_beside(server.process.pid, template)
        assert lock_holders(lock) == [instance]
        assert open_paths(template, storage) == []
        assert str(lock) in open_paths(instance, storage)

    assert_only_the_instance_holds_the_storage()
    counter = int(server.get("/@@bump")[1].split("=")[1])
    line = restart_by_a_save(server, template, built.code / "views.py", "forked")
    assert re.match(FORKED_RESTART, line), line
    assert_only_the_instance_holds_the_storage()
    assert server.get("/@@bump")[1] == "counter=%d" % (counter + 1)
