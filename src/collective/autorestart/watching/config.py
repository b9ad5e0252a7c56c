"""Read the config the recipe baked into the ZCML slug, outside Zope (the supervisor does).

Inside Zope the same attributes reach ``Config.from_attributes`` through the
``autorestart:config`` directive (``runtime/directive.py``).
"""

from __future__ import annotations

import xml.dom.minidom

from collective.autorestart.contract import DIRECTIVE, NAMESPACE, Config, ConfigError


def read_slug(path: str) -> Config:
    document = xml.dom.minidom.parse(path)
    elements = document.getElementsByTagNameNS(NAMESPACE, DIRECTIVE)
    if len(elements) != 1:
        raise ConfigError("%s holds %d autorestart:%s directives, not 1" % (path, len(elements), DIRECTIVE))
    return Config.from_attributes(dict(elements[0].attributes.items()))
