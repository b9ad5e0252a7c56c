"""What the end-to-end tests and the benchmarks (bench/) both use to drive a real Zope.

One module a job:

``buildouts``
    The test buildout: its package under development, its config, running bin/buildout.
``processes``
    ``Server``: a process we start in a session of its own, its output in a log file.
``proc``
    What /proc says about processes: a process tree, alive or not, open files.
``ports``
    Free ports on 127.0.0.1.
``http``
    GETs, polling until a response carries the new code, a kept-alive client.
``edits``
    Saving files the way editors and tools do.
``traffic``
    A thread requesting one page in a loop, keeping each failed answer with its time.
``plone``
    A Plone site of a maintained release, with its pins, the demo add-on and our part.
``zope_side``
    Modules a test copies into its package, to run inside Zope: ``registry_snapshot``
    lists the global registrations, to compare a live process with a cold start;
    ``history_fingerprint`` describes an add-on's modules with ``fingerprint``'s Describer.
``history``
    An add-on's public history (tests/history/*.commits) replayed into a running Zope,
    each commit compared with a cold start of the same commit.

The tests import it with ``tests`` on pytest's ``pythonpath``; bench/run.py puts ``tests``
on ``sys.path``. Nothing here imports pytest: a failed wait raises an ``AssertionError``,
which pytest reports as a failed test.
"""
