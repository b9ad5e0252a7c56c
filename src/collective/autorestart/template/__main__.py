import sys

from collective.autorestart.template.process import main

sys.exit(main())
