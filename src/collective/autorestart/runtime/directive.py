"""The ``autorestart:config`` ZCML directive, its schema built from the contract.

ZCML reloads execute the slug again, so registering the same config twice is harmless.
"""

from __future__ import annotations

import os

from zope.configuration.exceptions import ConfigurationError
from zope.interface import Interface
from zope.interface.interface import InterfaceClass
from zope.schema import TextLine

from collective.autorestart.contract import FIELDS, PACKAGE, SWITCH_VALUE, SWITCH_VARIABLE, Config, ConfigError
from collective.autorestart.runtime.zcml import recorder
from collective.autorestart.watching.roots import WatchedFiles

IConfigDirective = InterfaceClass(
    "IConfigDirective",
    (Interface,),
    # Not required here: Config.from_attributes says what is missing, and how to fix it.
    {field.name: TextLine(title=field.spec.title, required=False) for field in FIELDS},
    __module__=__name__,
)

_current: Config | None = None


def config_directive(_context, **attributes: str) -> None:
    try:
        config = Config.from_attributes(attributes)
    except ConfigError as error:
        raise ConfigurationError(str(error)) from error
    if os.environ.get(SWITCH_VARIABLE) == SWITCH_VALUE:
        recorder.record_execution(configuration_machine(_context), WatchedFiles(config.watch, config.exclude))
    _context.action(discriminator=(PACKAGE, "config"), callable=set_config, args=(config,))


def configuration_machine(context):
    """The ConfigurationMachine behind a directive's context (decorators hold their parent
    as ``context``)."""
    while hasattr(context, "context"):
        context = context.context
    return context


def set_config(config: Config) -> None:
    global _current
    _current = config


def current_config() -> Config | None:
    return _current
