"""Receipts that could not be printed, kept until a reprint succeeds.

A sale is committed before its receipt prints, so a jammed or offline printer
must never lose the receipt: the job goes here, a JSON file in the data
directory (no schema change to the store). It holds receipts as made by
`receipt_from_sale`, i.e. with the customer's name and phone already masked.
Every change is written atomically; a damaged file is set aside, not fatal.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pos.ids import uuid7

from .receipt import Receipt

log = logging.getLogger(__name__)
QUEUE_NAME = "reprint_queue.json"
QUEUE_VERSION = 1


@dataclass
class Job:
    id: str
    created_at: str  # UTC, ISO 8601
    receipt: dict[str, Any]  # Receipt.model_dump()
    reason: str  # why the last attempt failed: offline | paper_out | error
    attempts: int = 1

    @property
    def receipt_no(self) -> str:
        return str(self.receipt.get("receipt_no", ""))

    def as_receipt(self) -> Receipt:
        return Receipt.model_validate(self.receipt)


class ReprintQueue:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def _read(self) -> list[Job]:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            return [Job(**j) for j in doc["jobs"]]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError) as exc:
            aside = self.path.with_name(f"{self.path.name}.damaged-{dt.datetime.now():%Y%m%d%H%M%S}")
            log.error("reprint queue %s unreadable (%s); moved to %s", self.path, type(exc).__name__, aside.name)
            try:
                os.replace(self.path, aside)
            except OSError:
                pass
            return []

    def _write(self, jobs: list[Job]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"version": QUEUE_VERSION, "jobs": [asdict(j) for j in jobs]}, f, ensure_ascii=False, indent=1)
            f.flush()
            os.fsync(f.fileno())  # the receipt of a paid sale: make it survive a power cut
        os.replace(tmp, self.path)

    def add(self, receipt: Receipt, reason: str) -> Job:
        job = Job(str(uuid7()), dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                  receipt.model_dump(mode="json"), reason)
        with self._lock:
            jobs = self._read()
            jobs.append(job)
            self._write(jobs)
        return job

    def pending(self) -> list[Job]:
        with self._lock:
            return self._read()

    def __len__(self) -> int:
        return len(self.pending())

    def remove(self, job_id: str) -> bool:
        with self._lock:
            jobs = self._read()
            kept = [j for j in jobs if j.id != job_id]
            if len(kept) != len(jobs):
                self._write(kept)
            return len(kept) != len(jobs)

    def failed_again(self, job_id: str, reason: str) -> None:
        with self._lock:
            jobs = self._read()
            for j in jobs:
                if j.id == job_id:
                    j.attempts += 1
                    j.reason = reason
            self._write(jobs)
