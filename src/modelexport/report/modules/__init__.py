"""report/modules."""
