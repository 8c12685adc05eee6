"""Alembic environment of HQ: run on a connection handed in by
sync.server.db (`config.attributes["connection"]`), or on `sqlalchemy.url`."""
from alembic import context
from sqlalchemy import create_engine

config = context.config
target_metadata = None  # migrations are written out; they import no models


def run() -> None:
    conn = config.attributes.get("connection")
    if conn is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url"))
        with engine.begin() as conn:
            context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
            context.run_migrations()
        return
    context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
    context.run_migrations()


run()
