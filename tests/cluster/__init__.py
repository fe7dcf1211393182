"""`make cluster-test`: the multi-replica proof (see __main__.py)."""
