import sys

from collective.autorestart.template.name import COMM, set_comm

set_comm(COMM)

from collective.autorestart.template.process import main  # noqa: E402 - named first

sys.exit(main())
