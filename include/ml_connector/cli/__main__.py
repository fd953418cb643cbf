"""`python -m ml_connector.cli`: the same as the `ml-connector` command."""

import sys

from ml_connector.cli import main

sys.exit(main())
