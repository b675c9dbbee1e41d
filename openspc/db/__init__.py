"""Persistence: SQLAlchemy models, engine, Alembic migrations and repository functions."""
