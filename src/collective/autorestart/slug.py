"""The ZCML slug: the config the runtime reads, rendered from the validated options; written
by the recipe into the instance's etc/package-includes, and by runwsgi-autoreload into a
directory of its own for the session.  Standard library only.

The slug defines the ``autorestart:config`` directive itself (``meta:directive``) and then
uses it once; its attributes are the fields of the contract, encoded by it.
"""

from xml.sax.saxutils import quoteattr

from collective.autorestart import contract

SLUG_TEMPLATE = """\
<configure
    xmlns="http://namespaces.zope.org/zope"
    xmlns:meta="http://namespaces.zope.org/meta"
    xmlns:zcml="http://namespaces.zope.org/zcml"
    xmlns:autorestart={namespace}
    >
  <!-- {generated_by} -->
  <configure zcml:condition="installed {package}">
    <meta:directive
        namespace={namespace}
        name={directive}
        schema={schema}
        handler={handler}
        />
    <include package={package_attr} />
    <autorestart:{directive_name}
{attributes}
        />
  </configure>
</configure>
"""


def render_slug(generated_by, settings):
    """``settings``: the values keyed by option name (and buildout-directory); generated_by:
    a comment saying what wrote the file and where to change it."""
    attributes = "\n".join(
        "        %s=%s" % (field.name, quoteattr(contract.encode(field, settings[field.option])))
        for field in contract.FIELDS
    )
    return SLUG_TEMPLATE.format(
        namespace=quoteattr(contract.NAMESPACE),
        generated_by=generated_by.replace("--", "- -"),
        package=contract.PACKAGE,
        package_attr=quoteattr(contract.PACKAGE),
        directive=quoteattr(contract.DIRECTIVE),
        directive_name=contract.DIRECTIVE,
        schema=quoteattr(contract.DIRECTIVE_SCHEMA),
        handler=quoteattr(contract.DIRECTIVE_HANDLER),
        attributes=attributes,
    )
