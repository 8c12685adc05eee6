"""A new till's first pull by HQ's bootstrap snapshot (issue 20).

A till with no cursor yet asks HQ for a snapshot (`GET /v1/snapshot`, see
`sync/server/snapshot.py`), downloads its file (`GET /v1/snapshot/{id}`, gzip of
SQLite), checks its size and SHA-256, unpacks it and loads it in bulk with its
cursor in one transaction (`pos.services.snapshot_load`); the normal pull pages
then carry on from that cursor.

Resumable: the manifest and the part downloaded so far are kept beside the
store's file (`<store>.sqlite3.snapshot/`). A download cut off is resumed from
where it stopped (`Range`), within the run and by the next run after a restart;
a snapshot HQ no longer has (expired) is replaced by a new one. Nothing is
stored in the database until the whole file is there and loaded.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import logging
import shutil
import time
from pathlib import Path
from typing import Any

from pos.services import snapshot_load

from .client import HQClient, HQError, HQUnavailable

log = logging.getLogger("memberpos.sync")
MIN_CHANGES = 50_000  # a smaller change log comes as fast in pages


def work_dir(db) -> Path:
    return Path(db.path).with_name(Path(db.path).name + ".snapshot")


def _clear(d: Path) -> None:
    shutil.rmtree(d, ignore_errors=True)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def bootstrap(db, client: HQClient, min_changes: int = MIN_CHANGES) -> dict[str, Any] | None:
    """Load HQ's snapshot and store its cursor; None when HQ offers none (a small change log,
    an HQ from before snapshots): the pull then goes page by page from the start."""
    d = work_dir(db)
    state_file = d / "manifest.json"
    state = None
    if state_file.exists():
        try:
            state = json.loads(state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            state = None
        if not state or state.get("hq") != client.base or state.get("store") != db.store_code:
            _clear(d)
            state = None
    for _ in range(2):  # a snapshot HQ no longer has (expired) is replaced once
        if state is None:
            try:
                got = client.snapshot(min_changes)
            except HQError as exc:
                if exc.status == 404:
                    return None
                raise
            if got.get("snapshot") is None or got["snapshot"].get("format") != snapshot_load.FORMAT:
                return None  # none offered, or one this till cannot read: pages from the start
            state = {"hq": client.base, "store": db.store_code, "snapshot": got["snapshot"],
                     "store_changes": got.get("store_changes") or []}
            _clear(d)
            d.mkdir(parents=True, exist_ok=True)
            state_file.write_text(json.dumps(state), encoding="utf-8")
        snap = state["snapshot"]
        part = d / f"{snap['id']}.part"
        began = time.monotonic()
        try:
            got = client.download_snapshot(snap["id"], part, int(snap["size"]))
        except HQError as exc:
            if exc.status != 404:
                raise
            _clear(d)
            state = None
            continue
        download_s = time.monotonic() - began
        if _sha256(part) != snap["sha256"]:  # damaged on the way: fetched whole next time
            _clear(d)
            raise HQUnavailable("the snapshot from HQ arrived damaged (checksum); it is downloaded again next time")
        began = time.monotonic()
        unpacked = d / f"{snap['id']}.sqlite3"
        with gzip.open(part, "rb") as src, open(unpacked, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        unpack_s = time.monotonic() - began
        began = time.monotonic()
        try:
            loaded = snapshot_load.load(db, unpacked, snap["cursor"], state["store_changes"])
        except snapshot_load.SnapshotError as exc:  # nothing was stored: pages from the start
            log.warning("HQ's snapshot not loaded (%s); pulling page by page", exc)
            _clear(d)
            return None
        load_s = time.monotonic() - began
        _clear(d)
        return {"id": snap["id"], "cursor": snap["cursor"], "bytes": int(snap["size"]),
                "resumed_from": got["resumed_from"], "age_s": snap.get("age_s"), "counts": snap.get("counts", {}),
                "fast": loaded["fast"], "applied": loaded["applied"], "programs": loaded["programs"],
                "download_s": round(download_s, 3), "unpack_s": round(unpack_s, 3), "load_s": round(load_s, 3)}
    return None
