"""Alembic environment: always given a live connection by sqa.db.migrate."""

from alembic import context

from sqa.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - we never run alembic's CLI directly
    raise RuntimeError("run migrations with `sqa db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
