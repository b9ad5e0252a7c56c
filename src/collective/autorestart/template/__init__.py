"""The template: a process that has loaded what every start-up of the instance loads except
the watched code, so that a restart is a fork of it plus the developer's own code and ZCML.

It runs inside the instance's Python (``-m collective.autorestart.template``), started by
``bin/instance-autoreload`` (``supervisor/template.py``), and never opens the ZODB, never
starts a thread and never executes a watched module: the children do all three.
"""
