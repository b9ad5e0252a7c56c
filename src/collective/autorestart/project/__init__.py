"""``runwsgi-autoreload``: autoreload for an instance made for ``runwsgi`` (cookieplone, pip,
uv, mkwsgiinstance), without buildout; the same supervisor and runtime as the recipe's
``bin/instance-autoreload``, its options from pyproject.toml and the command line."""
