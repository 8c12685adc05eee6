"""HQ's table of members brought in from another system (`hq member import`, issue 15):
the old system's key (a re-import updates, never doubles) and the tier spend carried
over. Kept beside models.py (same metadata), like o2o_models.py."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from .models import HQBase


class MemberImport(HQBase):
    __tablename__ = "member_imports"
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    qualifying_spend_fen: Mapped[int] = mapped_column(Integer, default=0)
    spend_as_of: Mapped[dt.datetime]
    imported_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
