"""``python -m collective.autorestart.runtime.serve``: what ``runwsgi`` runs (Zope's serve),
for an instance of a ``runwsgi-autoreload`` session: with the session's slug loaded after
the instance's site.zcml (session_zcml)."""

import sys

from collective.autorestart.runtime import session_zcml


def main() -> int:
    from Zope2.Startup import serve

    session_zcml.install()
    return serve.main(sys.argv) or 0


if __name__ == "__main__":
    sys.exit(main())
