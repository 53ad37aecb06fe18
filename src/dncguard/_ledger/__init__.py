"""The call ledger's implementation (the public names are in :mod:`dncguard.ledger`)."""
