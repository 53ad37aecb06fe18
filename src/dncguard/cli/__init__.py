"""The ``dncguard`` command line: build and update an index, check and scrub call lists.

A thin argparse front end over :class:`dncguard.Registry` and :class:`dncguard.Guard`; it holds
no rules. Commands::

    dncguard build OUT --ftc PATH@DATE --dncl PATH@DATE --state REGION=PATH@DATE --internal [SELLER=]PATH
    dncguard update INDEX --ftc-changes PATH@DATE            (and the build flags)
    dncguard check --registry INDEX CALLS [--format text|json|junit] [--at T] [--seller S] [--purpose P]
    dncguard scrub --registry INDEX IN OUT
    dncguard lookup --registry INDEX NUMBER...
    dncguard info INDEX

Exit codes: 0 success (``check``: every call allowed); 1 ``check`` found a blocked call; 2 bad
input (a missing or unreadable file, a corrupt index, a call field that cannot be read), with a
message naming the file, the 1-based data row and the field; never a traceback. ``lookup``
reports an argument that is not a NANP number as ``invalid`` and still exits 0.

Progress goes to stderr, and only when stderr is a terminal.

The modules, in the order a call file flows through them:

- ``_main``: argument parsing and :func:`main`;
- ``_common``: exit codes, messages, the progress line, path checks, the shared flags' meaning;
- ``_build``: ``build`` and ``update``;
- ``_callfile``: reading call files (JSON, JSON Lines, CSV, Parquet) into validated columns;
- ``_batches``: those columns as the batches ``bulk`` decides (read in a thread);
- ``_decide``: deciding them, per call or in bulk;
- ``_report``: the ``check`` report, one template per format (text, json, junit);
- ``_check``, ``_scrub``: the two commands that decide calls;
- ``_write``: the ``scrub`` output file (atomic CSV / Parquet);
- ``_info``: ``lookup`` and ``info``.
"""

from dncguard.cli._main import main

__all__ = ["main"]
