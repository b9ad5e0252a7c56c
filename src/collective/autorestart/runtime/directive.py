"""The ``autorestart:config`` ZCML directive.

ZCML reloads execute the slug again, so registering the same config twice is harmless.
"""
from __future__ import annotations

from zope.configuration.exceptions import ConfigurationError
from zope.interface import Interface
from zope.schema import TextLine

from collective.autorestart.runtime.config import Config, ConfigError, parse_directive


class IConfigDirective(Interface):
    part = TextLine(title="Buildout part that generated this config", required=True)
    watch = TextLine(title="JSON list of directories to watch", required=True)
    include = TextLine(title="JSON list of file name globs to watch", required=True)
    exclude = TextLine(title="JSON list of names, globs and paths to ignore", required=True)
    debounce = TextLine(title="Milliseconds of quiet before applying changes", required=True)
    sound = TextLine(title="on or off", required=True)
    success_sound = TextLine(title="Sound file played after a reload", required=True)
    failure_sound = TextLine(title="Sound file played after a failed reload", required=True)
    log_level = TextLine(title="Log level of the collective.autorestart logger", required=True)
    threaddump_file = TextLine(title="File that SIGUSR1 appends a thread dump to", required=True)
    restart_on = TextLine(title="JSON list of file name globs whose change restarts", required=True)
    on_zcml_change = TextLine(title="reload or restart", required=True)
    on_reload_error = TextLine(title="keep or restart", required=True)
    buildout_directory = TextLine(title="The buildout's directory", required=True)


_current: Config | None = None


def config_directive(_context, **attributes: str) -> None:
    try:
        config = parse_directive(**attributes)
    except ConfigError as error:
        raise ConfigurationError(str(error)) from error
    _context.action(
        discriminator=("collective.autorestart", "config"),
        callable=set_config,
        args=(config,),
    )


def set_config(config: Config) -> None:
    global _current
    _current = config


def current_config() -> Config | None:
    return _current
