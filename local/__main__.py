"""`python -m local` runs the stepthunk CLI."""

import sys

from local.cli import main

sys.exit(main())
