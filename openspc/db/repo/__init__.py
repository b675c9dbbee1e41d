"""Repository functions: all SQL lives here; callers own the transaction."""
