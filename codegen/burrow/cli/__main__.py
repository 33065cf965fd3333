"""``python -m burrow.cli``: the ``burrow`` command."""

import sys

from burrow.cli._main import main

sys.exit(main())
