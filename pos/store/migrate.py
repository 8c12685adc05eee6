"""Migrate to head, refuse newer: how the till's store and HQ's database open
their schema, each with its own Alembic scripts.

Opening a database at head is the common case (every CLI command, every start of
the app): it reads the `alembic_version` row and compares it with the head read
from the scripts' `revision` / `down_revision` lines, without importing Alembic
(about a tenth of a headless command's start-up). Anything else — a new file, an
older schema, an unknown (newer) revision, a script the quick read cannot follow —
goes through Alembic as before."""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Engine

_ASSIGN = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.M)


def config_for(script_location: Path | str) -> "Config":
    """An Alembic configuration for the scripts in `script_location`."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    return cfg


def script_heads(script_location: Path | str) -> frozenset[str] | None:
    """The head revision(s) of the scripts, read from their `revision = ...` and
    `down_revision = ...` lines; None when a script cannot be read that way."""
    revisions: set[str] = set()
    downs: set[str] = set()
    try:
        for path in Path(script_location, "versions").glob("*.py"):
            found = dict(_ASSIGN.findall(path.read_text(encoding="utf-8")))
            if "revision" not in found or "down_revision" not in found:
                return None
            rev, down = ast.literal_eval(found["revision"]), ast.literal_eval(found["down_revision"])
            if not isinstance(rev, str):
                return None
            revisions.add(rev)
            downs.update((down,) if isinstance(down, str) else down or ())
    except (OSError, ValueError, SyntaxError, TypeError):
        return None
    return frozenset(revisions - downs) if revisions else None


def _current(engine: "Engine") -> frozenset[str] | None:
    """The database's revision(s), or None when it has no alembic_version table yet."""
    try:
        with engine.connect() as conn:
            return frozenset(r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version"))
    except Exception:  # noqa: BLE001 - no table (a new file), or a driver's own error: Alembic decides
        return None


def to_head(engine: "Engine", script_location: Path | str, newer: Callable[[str], Exception]) -> None:
    """Bring the schema to the scripts' head. A revision the scripts do not know
    was written by a newer release: `newer(revision)` is raised, nothing is changed."""
    heads = script_heads(script_location)
    if heads is not None and _current(engine) == heads:
        return  # at head: nothing to do, Alembic not loaded
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

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
