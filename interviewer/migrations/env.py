"""Alembic's environment: migrations run on the connection `interviewer.migrations.upgrade` hands over,
inside the transaction it holds (so an upgrade is all or nothing, and replicas take turns)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
