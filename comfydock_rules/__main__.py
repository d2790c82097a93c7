"""Allow `python -m comfydock_rules`."""

import sys

from comfydock_rules.cli import main

sys.exit(main())
