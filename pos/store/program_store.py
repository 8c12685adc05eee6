"""Installed program versions in the local store (from a preset, a file or HQ)."""
from __future__ import annotations

from sqlalchemy import select, update

from pos.errors import DomainError
from pos.store.models import Program
from pos.store.outbox import audit
from pos.rules.program import ProgramDoc, parse, preset, to_json

_cache: dict[tuple[str, str], ProgramDoc] = {}


def install(db, doc: ProgramDoc, *, source: str = "file", actor: str = "system", activate: bool = True) -> None:
    """Store a version (idempotent by version) and make it the active one."""
    with db.transaction() as s:
        row = s.get(Program, doc.version)
        if row is None:
            s.add(Program(version=doc.version, document=to_json(doc), source=source,
                          installed_at=db.clock.now(), active=False))
            s.flush()
        if activate:
            s.execute(update(Program).values(active=False))
            s.execute(update(Program).where(Program.version == doc.version).values(active=True))
        audit(s, db, actor, "program.install", doc.version, source=source)


def active(db) -> ProgramDoc:
    with db.read() as s:
        row = s.scalar(select(Program).where(Program.active.is_(True)))
        if row is None:
            raise DomainError("program.none")
        key = (str(db.path), row.version)
        if key not in _cache:
            _cache[key] = parse(row.document)
        return _cache[key]


def by_version(db, version: str) -> ProgramDoc:
    with db.read() as s:
        row = s.get(Program, version)
        if row is None:
            raise DomainError("program.none")
        return parse(row.document)


def ensure_default(db, name: str = "vancl") -> ProgramDoc:
    """A store that has no program gets the shipped preset."""
    try:
        return active(db)
    except DomainError:
        doc = preset(name)
        install(db, doc, source="preset")
        return doc
