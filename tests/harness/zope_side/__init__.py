"""Modules a test copies into a package under development, to run inside Zope; their
source, as text."""
from pathlib import Path

SNAPSHOT_MODULE = (Path(__file__).parent / "registry_snapshot.py").read_text()
