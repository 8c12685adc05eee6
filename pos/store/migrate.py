"""Migrate to head, refuse newer: how the till's store and HQ's database open
their schema, each with its own Alembic scripts."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine


def config_for(script_location: Path | str) -> Config:
    """An Alembic configuration for the scripts in `script_location`."""
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    return cfg


def to_head(engine: Engine, script_location: Path | str, newer: Callable[[str], Exception]) -> None:
    """Bring the schema to the scripts' head. A revision the scripts do not know
    was written by a newer release: `newer(revision)` is raised, nothing is changed."""
    cfg = config_for(script_location)
    script = ScriptDirectory.from_config(cfg)
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current == script.get_current_head():
        return
    if current is not None:
        try:
            script.get_revision(current)
        except Exception:
            raise newer(current) from None
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
