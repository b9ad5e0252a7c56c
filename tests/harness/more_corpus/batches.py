"""Batches: several modules saved together, reloaded in place as one, and a package's
``__init__`` reloaded as the package it is (relative imports).  What a batch does when one
of its modules fails (all of it taken back) is tested by test_batch_all_or_nothing."""

from harness.corpus import page, source

CASES = {
    "two-modules-one-importing-the-other": (
        {
            "helpers.py": 'def text():\n    return "before"\n',
            "views.py": page("from .helpers import text\n\ndef show(view):\n    return [text(), 'views before']\n"),
        },
        {
            "helpers.py": 'def text():\n    return "after"\n\ndef more():\n    return "more"\n',
            "views.py": page(
                "from .helpers import more, text\n\ndef show(view):\n    return [text(), more(), 'views after']\n"
            ),
        },
    ),
    "base-and-subclass-in-two-modules": (
        {
            "base.py": source("""
            class BaseView:
                def update(self):
                    self.items = ["base"]
            """),
            "views.py": page(
                source("""
            from .base import BaseView

            class Listing(BaseView):
                def update(self):
                    super().update()
                    self.items.append("before")

            def show(view):
                listing = Listing()
                listing.update()
                return listing.items
            """)
            ),
        },
        {
            "base.py": source("""
            class BaseView:
                def update(self):
                    self.items = ["base", "after"]
            """),
            "views.py": page(
                source("""
            from .base import BaseView

            class Listing(BaseView):
                def update(self):
                    super().update()
                    self.items.append(len(self.items))

            def show(view):
                listing = Listing()
                listing.update()
                return listing.items
            """)
            ),
        },
    ),
    "schema-and-its-implementer": (
        {
            "interfaces.py": source("""
            from zope.interface import Attribute, Interface

            class IItem(Interface):
                title = Attribute("the title")
            """),
            "content.py": source("""
            from zope.interface import implementer

            from .interfaces import IItem

            @implementer(IItem)
            class Item:
                title = "before"
            """),
            "views.py": page(
                source("""
            from .content import Item
            from .interfaces import IItem

            def show(view):
                return sorted(IItem.names()), Item.title, IItem.providedBy(Item())
            """)
            ),
        },
        {
            "interfaces.py": source("""
            from zope.interface import Attribute, Interface

            class IItem(Interface):
                title = Attribute("the title")
                summary = Attribute("the summary")
            """),
            "content.py": source("""
            from zope.interface import implementer

            from .interfaces import IItem

            @implementer(IItem)
            class Item:
                title = "after"
                summary = ""
            """),
        },
    ),
    "package-init-importing-a-submodule-relatively": (
        {
            "__init__.py": "from . import patches\n\nAPPLIED = patches.applied()\n",
            "patches.py": 'def applied():\n    return ["before"]\n',
            "views.py": page("from . import patches\n\ndef show(view):\n    return patches.applied()\n"),
        },
        {
            "__init__.py": "from . import patches\nfrom .patches import applied\n\nAPPLIED = applied() + ['init']\n",
            "patches.py": 'def applied():\n    return ["after"]\n',
        },
    ),
    "subpackage-init-with-relative-imports": (
        {
            "browser/__init__.py": "from .helpers import label\n",
            "browser/helpers.py": 'def label():\n    return "before"\n',
            "views.py": page("from .browser import label\n\ndef show(view):\n    return label()\n"),
        },
        {
            "browser/__init__.py": "from . import helpers\nfrom .helpers import label\n\nLABEL = label()\n",
            "browser/helpers.py": 'def label():\n    return "after"\n',
        },
    ),
}
RESTARTS: dict = {}
