"""Copied into a package under development beside fingerprint.py and registry_snapshot.py
(both copied from tests/harness, not duplicated here), where it runs inside Zope: what the
process holds of an add-on, as JSON, to compare a process that reloaded the add-on's
history commit by commit with a cold start of the same commit (harness.history).

Served at @@history-fingerprint?package=<dotted name>: the add-on's loaded modules (not its
tests: a cold start never imports them), each path's description by the oracle's Describer,
and the global registrations that name the add-on."""

import json
import logging
import sys

from .fingerprint import Describer
from .registry_snapshot import registered


class HistoryDescriber(Describer):
    def describe(self, value, depth=0, seen=None, top=False):
        if isinstance(value, logging.Logger):
            # Process-wide: its handlers and manager are the process's (ours log too), its
            # name is what the add-on's code chose.
            return ("logger", value.name)
        return super().describe(value, depth, seen, top)

    def code(self, code, depth, seen):
        """A frozenset constant (``x in {"a", "b"}``) by its sorted items: its repr's order
        follows the string hashes, which differ between two processes (PYTHONHASHSEED)."""
        described = super().code(code, depth, seen)
        consts = [
            repr(sorted(self.normal(repr(item)) for item in const)) if isinstance(const, frozenset) else text
            for const, text in zip(code.co_consts, described[-1])
        ]
        return described[:-1] + (consts,)


def modules_of(package):
    return {
        name: module
        for name, module in sorted(sys.modules.items())
        if module is not None
        and (name == package or name.startswith(package + "."))
        and ".tests" not in name[len(package) :]
    }


def fingerprint(package):
    modules = modules_of(package)
    described = HistoryDescriber(modules, package).modules_described()
    return {
        "modules": sorted(modules),
        # repr: the descriptions hold bytes and tuples; equal objects give equal text.
        "paths": {path: repr(description) for path, description in described.items()},
        "registry": sorted(line for line in registered() if package in line),
    }


class HistoryFingerprint:
    """Five's page directive makes the view class from this one and its BrowserView."""

    def __call__(self):
        self.request.response.setHeader("Content-Type", "application/json")
        return json.dumps(fingerprint(self.request.form["package"]))
