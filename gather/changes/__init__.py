"""The change log: every write of a record appends its change in the write's transaction."""
