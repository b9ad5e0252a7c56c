"""Buildout recipe: ``recipe = collective.autorestart``.

Generates ``bin/<script>`` (the supervisor that runs the instance with autoreload switched
on) and a ZCML slug in the instance's ``etc/package-includes`` carrying the watch config.
"""

import logging
import os

import zc.buildout.easy_install
import zc.recipe.egg

from collective.autorestart.contract import SLUG_NAME, SUPERVISOR_MODULE
from collective.autorestart.recipe import options as parsing
from collective.autorestart.recipe.templates import render_slug


class Recipe:
    def __init__(self, buildout, name, options):
        self.buildout = buildout
        self.name = name
        self.options = options
        self.log = logging.getLogger(name)
        # Reading the instance part here also makes buildout install it before this part.
        self.settings = settings = parsing.parse(name, buildout, options)
        location = settings["instance-location"]
        self.slug_path = os.path.join(location, "etc", "package-includes", SLUG_NAME)
        self.bin_directory = buildout["buildout"]["bin-directory"]
        # Derived values go back into the options so that buildout reinstalls the part
        # whenever one of them changes (a moved instance, a new develop path, ...).
        for option in parsing.OPTIONS:
            options[option] = parsing.as_option(settings[option])
        # The supervisor gets the extras the instance asked for: [sound] lets it play the
        # failure sound when the instance crashes at start-up.
        options["eggs"] = settings["requirement"]
        options["slug"] = self.slug_path
        options["instance-location"] = location
        self.egg = zc.recipe.egg.Egg(buildout, options["recipe"], options)

    def install(self):
        if self.settings["site-zcml"]:
            self.log.warning(
                "[%s] instance part [%s] has its own site-zcml, which does not load"
                ' etc/package-includes: add <include file="%s" /> to it, or Zope will'
                " run without autoreload.",
                self.name,
                self.settings["instance"],
                self.slug_path,
            )
        return [self._write_slug()] + self._write_script()

    # plone.recipe.zope2instance deletes etc/package-includes whenever it runs, so an
    # unchanged part must still put its slug back.
    update = install

    def _write_slug(self):
        content = render_slug(self.name, self.settings)
        os.makedirs(os.path.dirname(self.slug_path), exist_ok=True)
        if _read(self.slug_path) != content:
            with open(self.slug_path, "w") as slug:
                slug.write(content)
        return self.slug_path

    def _write_script(self):
        location = self.settings["instance-location"]
        baked = [
            "--instance-home",
            location,
            "--interpreter",
            os.path.join(location, "bin", "interpreter"),
            "--wsgi-ini",
            os.path.join(location, "etc", "wsgi.ini"),
            "--slug",
            self.slug_path,
            "--",
        ]
        _, working_set = self.egg.working_set()
        return zc.buildout.easy_install.scripts(
            [(self.settings["script"], SUPERVISOR_MODULE, "main")],
            working_set,
            self.options["executable"],
            self.bin_directory,
            arguments="%r + sys.argv[1:]" % (baked,),
        )


def _read(path):
    try:
        with open(path) as existing:
            return existing.read()
    except OSError:
        return None
