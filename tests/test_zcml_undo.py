"""runtime.zcml.undo without Zope: which configuration actions the incremental ZCML reload
can take back, and when an action it can't take back may stay as it is."""

from collective.autorestart.runtime.zcml.undo import same_effect, why_not_undoable


def handler(method, *args, **kwargs):
    """Stands in for zope.component.zcml.handler, by its dotted name."""


handler.__module__, handler.__qualname__ = "zope.component.zcml", "handler"


def class_implements(cls, interface):
    """Stands in for a callable the reload does not know."""


class ParserInfo:
    file, line = "/src/pkg/configure.zcml", 4


class Step:
    def __init__(self, title, handler):
        self.title, self.handler = title, handler


def action(callable_, *args, info=None, **kw):
    return {"callable": callable_, "args": args, "kw": kw, "info": info}


def test_a_registration_is_taken_back_by_the_directive_info_it_carries():
    info = ParserInfo()
    assert why_not_undoable(action(handler, "registerAdapter", object, (), None, "", info, info=info)) is None


def test_a_registration_without_the_directive_info_is_not():
    info = ParserInfo()
    assert why_not_undoable(action(handler, "registerAdapter", object, (), None, "", "", info=info)) == (
        "a registration without the directive's info"
    )


def test_an_unknown_callable_is_named():
    assert why_not_undoable(action(class_implements, object, object)) == "%s.class_implements" % __name__


def test_an_action_without_a_callable_needs_nothing():
    assert why_not_undoable(action(None)) is None


def test_the_same_arguments_have_the_same_effect():
    assert same_effect(action(class_implements, Step, 1), action(class_implements, Step, 1))
    assert not same_effect(action(class_implements, Step, 1), action(class_implements, Step, 2))
    assert not same_effect(action(class_implements, Step, 1), action(handler, Step, 1))


def test_new_objects_of_a_parse_are_compared_by_their_attributes():
    def run():
        pass

    assert same_effect(action(class_implements, Step("a", run)), action(class_implements, Step("a", run)))
    assert not same_effect(action(class_implements, Step("a", run)), action(class_implements, Step("b", run)))
    assert not same_effect(action(class_implements, Step("a", run)), action(class_implements, Step("a", lambda: 0)))


def translations(catalogs, name):
    """Stands in for zope.i18n.zcml.handler (i18n:registerTranslations)."""


translations.__module__, translations.__qualname__ = "zope.i18n.zcml", "handler"


class Catalog:
    """What zope.i18n's GettextMessageCatalog keeps: its .mo file, and what it read from it
    (a new object each time the file is parsed, with bound methods of its own)."""

    def __init__(self, language, domain, path):
        self.language, self.domain, self._path_to_file = language, domain, path
        self._catalog = object()
        self._gettext = self.__init__


def test_unchanged_translations_have_the_same_effect_though_read_again():
    old = action(translations, [Catalog("de", "pkg", "/src/pkg/locales/de/LC_MESSAGES/pkg.mo")], "pkg")
    new = action(translations, [Catalog("de", "pkg", "/src/pkg/locales/de/LC_MESSAGES/pkg.mo")], "pkg")
    assert same_effect(old, new)


def test_translations_of_another_file_do_not():
    old = action(translations, [Catalog("de", "pkg", "/src/pkg/locales/de/LC_MESSAGES/pkg.mo")], "pkg")
    new = action(translations, [Catalog("de", "pkg", "/src/pkg/locales/de/LC_MESSAGES/other.mo")], "pkg")
    assert not same_effect(old, new)
