"""The ``autorestart:config`` ZCML directive, its schema built from the contract.

ZCML reloads execute the slug again, so registering the same config twice is harmless.
"""
from __future__ import annotations

from zope.configuration.exceptions import ConfigurationError
from zope.interface import Interface
from zope.interface.interface import InterfaceClass
from zope.schema import TextLine

from collective.autorestart.contract import FIELDS, PACKAGE, Config, ConfigError

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
    _context.action(discriminator=(PACKAGE, "config"), callable=set_config, args=(config,))


def set_config(config: Config) -> None:
    global _current
    _current = config


def current_config() -> Config | None:
    return _current
