"""``python -m dicomkit.cli``: the ``dicomkit`` command without its console script."""

import sys

from dicomkit.cli import main

sys.exit(main())
