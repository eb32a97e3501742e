"""Run the CLI as `python -m rootstock`."""

import sys

from rootstock.cli import main

sys.exit(main())
