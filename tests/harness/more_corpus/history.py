"""Shapes found by replaying real add-ons' history (harness.history, bench part history),
reduced to a case each: where a reload in place differed from a cold start of the same
commit."""

from harness.corpus import page, source

CASES = {
    # Products.PythonScripts ffe8893f: a method renamed, its old name kept as an alias in
    # the class body (``manage_FTPget = manage_DAVget``): the old function of one name is
    # updated from the new function of the other, names included.
    "class-body-alias-of-a-renamed-method": (
        {
            "views.py": page(
                source("""
                class Script:
                    def manage_FTPget(self):
                        return "source before"

                def show(view):
                    return Script().manage_FTPget(), Script.manage_FTPget.__qualname__
                """)
            )
        },
        {
            "views.py": page(
                source("""
                class Script:
                    def manage_DAVget(self):
                        return "source after"

                    manage_FTPget = manage_DAVget

                def show(view):
                    script = Script()
                    return script.manage_FTPget(), script.manage_DAVget(), Script.manage_FTPget.__qualname__
                """)
            )
        },
    ),
    # Products.SiteErrorLog 6986b461: Zope's start-up sets ``_m`` (the product's
    # constructors) on the product's package; its __init__ never binds it, and a reload of
    # it must not take it away (manage_addProduct then failed).
    "module-attribute-set-by-others-at-start-up": (
        {
            "helpers.py": 'def title():\n    return "before"\n',
            "product.py": "from . import helpers\n\nhelpers._m = {'add': 'constructor'}\n",
            "views.py": page(
                "from . import helpers, product  # noqa\n\n"
                "def show(view):\n    return helpers.title(), getattr(helpers, '_m', None)\n"
            ),
        },
        {"helpers.py": 'def title():\n    return "after"\n'},
    ),
}

# Products.PythonScripts 441349779b (replayed from c42c8d3a): a method removed whose security
# declaration the module made (InitializeClass): on a cold start, no X__roles__; the source
# can't tell it from one ZCML made, which a cold start has: a restart.
ROLES_BEFORE = """
class ClassSecurityInfo:
    def __init__(self):
        self.protected = []

    def declareProtected(self, permission, name):
        self.protected.append(name)


def InitializeClass(cls):
    for name in cls.security.protected:
        setattr(cls, name + "__roles__", ("Manager",))
"""
CASES["security-declaration-of-a-removed-method"] = (
    {
        "security.py": ROLES_BEFORE,
        "views.py": page(
            source("""
            from .security import ClassSecurityInfo, InitializeClass

            class Script:
                security = ClassSecurityInfo()
                security.declareProtected("Change", "changePrefs")

                def changePrefs(self):
                    return "before"

            InitializeClass(Script)

            def show(view):
                return sorted(name for name in vars(Script) if name.endswith("__roles__"))
            """)
        ),
    },
    {
        "views.py": page(
            source("""
            from .security import ClassSecurityInfo, InitializeClass

            class Script:
                security = ClassSecurityInfo()

                def edit(self):
                    return "after"

            InitializeClass(Script)

            def show(view):
                return sorted(name for name in vars(Script) if name.endswith("__roles__"))
            """)
        ),
    },
)
RESTARTS = {"security-declaration-of-a-removed-method": "Script.changePrefs__roles__ is gone from the class body"}
