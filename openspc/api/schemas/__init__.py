"""Request and response models of the REST API (separate from the SQLAlchemy models)."""
