"""The small package under development that the `live` part edits: benchapp.live, with a
view whose text is the code's version, and a view class for the pages ZCML edits add."""

from pathlib import Path

from harness.buildouts import setup_py

PAGE = '  <browser:page name="%s" for="*" class=".views.%s" permission="zope.Public" />\n'

CONFIGURE_ZCML = """\
<configure
    xmlns="http://namespaces.zope.org/zope"
    xmlns:browser="http://namespaces.zope.org/browser">
%s</configure>
"""

VIEWS_PY = '''\
from Products.Five.browser import BrowserView


class Value(BrowserView):
    def __call__(self):
        return "value=%s"


class Named(BrowserView):
    """Registered under new names by the ZCML edits; answers with the name it got."""

    def __call__(self):
        return "view=" + self.__name__
'''


class App:
    def __init__(self, develop_directory):
        self.directory = Path(develop_directory)
        self.code = self.directory / "src" / "benchapp" / "live"
        self.views = self.code / "views.py"
        self.zcml = self.code / "configure.zcml"
        self.added = []

    def write(self):
        """Start over: the package as it is before any edit."""
        self.code.mkdir(parents=True, exist_ok=True)
        (self.directory / "setup.py").write_text(setup_py("benchapp.live"))
        (self.code / "__init__.py").write_text("")
        self.views.write_text(self.views_text("0"))
        self.added = []
        self.zcml.write_text(self.zcml_text())

    @staticmethod
    def views_text(value):
        return VIEWS_PY % value

    def pages(self):
        """The page directives: the value page, then one per page an edit added."""
        return PAGE % ("value", "Value") + "".join(PAGE % (name, "Named") for name in self.added)

    def zcml_text(self):
        return CONFIGURE_ZCML % self.pages()

    def zcml_with_page(self, name):
        """configure.zcml with one more page; the caller saves it."""
        self.added.append(name)
        return self.zcml_text()
