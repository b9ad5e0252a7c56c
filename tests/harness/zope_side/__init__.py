"""Modules a test copies into a package under development, to run inside Zope."""

from pathlib import Path

SNAPSHOT_MODULE = (Path(__file__).parent / "registry_snapshot.py").read_text()
SNAPSHOT_PATH = "/@@registry-snapshot"
SNAPSHOT_PAGE = (
    '  <browser:page name="registry-snapshot" for="*" class=".registry_snapshot.RegistrySnapshot"\n'
    '                permission="zope.Public" />\n'
)


def add_snapshot(code, directives=""):
    """Copy registry_snapshot.py into the package's code directory and register its page,
    and directives, in the package's configure.zcml."""
    (code / "registry_snapshot.py").write_text(SNAPSHOT_MODULE)
    configure = code / "configure.zcml"
    configure.write_text(configure.read_text().replace("</configure>", SNAPSHOT_PAGE + directives + "</configure>"))
