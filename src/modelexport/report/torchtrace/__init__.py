"""report/torchtrace."""
