"""``python -m dncguard``: the same as the ``dncguard`` command."""

from dncguard.cli import main

raise SystemExit(main())
