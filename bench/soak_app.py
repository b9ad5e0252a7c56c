"""The package under development that the `soak` part edits, benchapp.soak, and what it
should serve: the files on disk and the model they are written from are one.

Each view module ``mNNN.py`` has one view whose text names the module and its generation,
``<<benchapp.soak.m003=17>>``: a save raises the generation, so a response tells which
save it comes from. Each module has zero or more pages in its package's configure.zcml.
Subpackages ``sNNN`` have a configure.zcml of their own, included by the top one.
``stable.py`` is never edited: its page @@soak-stable is what the steady traffic requests.
``restarter.py`` (page @@soak-restarter) patches at import what it imported: the reloader
can't run it again, so each save of it restarts the instance, forked from the template.
"""

import shutil
from pathlib import Path

from harness.buildouts import setup_py

PACKAGE = "benchapp.soak"
STABLE_PAGE = "soak-stable"
STABLE_TEXT = "stable-page"
RESTARTER = "restarter"
RESTARTER_PAGE = "soak-restarter"

ZCML = """\
<configure
    xmlns="http://namespaces.zope.org/zope"
    xmlns:browser="http://namespaces.zope.org/browser">
%s</configure>
"""
PAGE = '  <browser:page name="%s" for="*" class=".%s.%s" permission="zope.Public" />\n'
INCLUDE = '  <include package=".%s" />\n'

VIEW_PY = """\
from Products.Five.browser import BrowserView


class View(BrowserView):
    def __call__(self):
        return %r
"""
# Appended by a broken save: a SyntaxError on the last line.
BROKEN = "\n\ndef oops(:\n    pass\n"

STABLE_PY = (
    '''\
from Products.Five.browser import BrowserView


class Stable(BrowserView):
    """Never edited: the page the steady traffic requests."""

    def __call__(self):
        return %r
'''
    % STABLE_TEXT
)

# A patch at import of something imported (PATCHES_AT_IMPORT): the runtime asks for a
# restart, which is not a restart-on file's, so the instance forks from the template.
RESTARTER_PY = """\
import os

from Products.Five.browser import BrowserView

os.getcwdb = os.getcwdb


class View(BrowserView):
    def __call__(self):
        return %r
"""


class Module:
    def __init__(self, package, name):
        self.package = package
        self.name = name
        self.generation = 0
        self.pages = []

    @property
    def dotted(self):
        return "%s.%s" % (self.package.dotted, self.name)

    @property
    def path(self):
        return self.package.directory / (self.name + ".py")

    def body(self):
        return "<<%s=%d>>" % (self.dotted, self.generation)

    def text(self, broken=False):
        return VIEW_PY % self.body() + (BROKEN if broken else "")


class Restarter(Module):
    """The module whose saves restart the instance; no other edit touches it."""

    def __init__(self, package):
        super().__init__(package, RESTARTER)
        self.pages.append(RESTARTER_PAGE)

    def text(self, broken=False):
        return RESTARTER_PY % self.body()

    def __repr__(self):
        return "%s (generation %d, pages %s)" % (self.dotted, self.generation, self.pages)


class Package:
    def __init__(self, directory, dotted, parent=None):
        self.directory = Path(directory)
        self.dotted = dotted
        self.parent = parent
        self.modules = []
        self.children = []

    @property
    def name(self):
        return self.dotted.rsplit(".", 1)[1]

    @property
    def zcml(self):
        return self.directory / "configure.zcml"

    def zcml_text(self):
        lines = []
        if self.parent is None:
            lines.append(PAGE % (STABLE_PAGE, "stable", "Stable"))
            lines.append(PAGE % (RESTARTER_PAGE, RESTARTER, "View"))
        for module in self.modules:
            lines.extend(PAGE % (page, module.name, "View") for page in module.pages)
        lines.extend(INCLUDE % child.name for child in self.children)
        return ZCML % "".join(lines)


class SoakApp:
    """The model of benchapp.soak; write() puts the files on disk as the model says."""

    def __init__(self, develop_directory, modules=5, subpackage_modules=2):
        self.directory = Path(develop_directory)
        self.code = self.directory / "src" / "benchapp" / "soak"
        self.setup = self.directory / "setup.py"
        self.initial = (modules, subpackage_modules)
        self.top = None
        self.restarter = None
        self._numbers = {}

    def number(self, kind):
        self._numbers[kind] = self._numbers.get(kind, 0) + 1
        return self._numbers[kind]

    def write(self):
        """Start over: the package as it is before any edit."""
        if self.code.exists():
            shutil.rmtree(self.code)
        self.code.mkdir(parents=True)
        self._numbers = {}
        self.setup.write_text(self.setup_text(0))
        self.top = Package(self.code, PACKAGE)
        (self.code / "__init__.py").write_text("")
        (self.code / "stable.py").write_text(STABLE_PY)
        # Not in the top package's modules: the edits that pick a module never pick it.
        self.restarter = Restarter(self.top)
        self.restarter.path.write_text(self.restarter.text())
        for _ in range(self.initial[0]):
            module = self.new_module(self.top)
            module.path.write_text(module.text())
        package = self.new_package()
        package.directory.mkdir()
        (package.directory / "__init__.py").write_text("")
        for _ in range(self.initial[1]):
            module = self.new_module(package)
            module.path.write_text(module.text())
        package.zcml.write_text(package.zcml_text())
        self.top.zcml.write_text(self.top.zcml_text())

    @staticmethod
    def setup_text(restarts):
        """setup.py; each restart-on edit writes the next count into its last line."""
        return setup_py(PACKAGE) + "# restart-on edits: %d\n" % restarts

    # The model. Nothing below writes a file: the soak's actions do, the way editors do.

    def packages(self):
        return [self.top] + self.top.children

    def modules(self):
        return [module for package in self.packages() for module in package.modules]

    def served(self):
        """The modules with at least one page: an edit of one of them shows over HTTP."""
        return [module for module in self.modules() if module.pages]

    def pages(self):
        return [(page, module) for module in self.modules() for page in module.pages]

    def new_module(self, package):
        """A module with a page of its own name, in the model only."""
        module = Module(package, "m%03d" % self.number("module"))
        module.pages.append("soak-" + module.name)
        package.modules.append(module)
        return module

    def new_package(self):
        """An empty subpackage of the top package, in the model only."""
        name = "s%03d" % self.number("package")
        package = Package(self.code / name, "%s.%s" % (PACKAGE, name), parent=self.top)
        self.top.children.append(package)
        return package

    def new_page(self, module):
        page = "soak-p%03d" % self.number("page")
        module.pages.append(page)
        return page

    def remove(self, module):
        """Drop the module (and its pages) from the model; returns its pages. Drops its
        package too when it was the last module of a subpackage."""
        package = module.package
        package.modules.remove(module)
        if package.parent is not None and not package.modules:
            package.parent.children.remove(package)
        return list(module.pages)

    def expected(self):
        """{"/@@page": text} for every page the files register."""
        found = {"/@@" + STABLE_PAGE: STABLE_TEXT, "/@@" + RESTARTER_PAGE: self.restarter.body()}
        for page, module in self.pages():
            found["/@@" + page] = module.body()
        return found
