"""Alembic environment: migrations run against the URL set by ``openspc.db.migrate``."""

from __future__ import annotations

from alembic import context

from openspc.db.engine import make_engine
from openspc.db.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "sqlalchemy.url is not set"

engine = make_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
