"""The till's HTTP client for HQ (requests.Session).

- Timeouts on every request (connect, read); a short one for holds, which a
  cashier is waiting on.
- Retries only of idempotent requests — push (HQ dedups by event id), pull
  (a read), hold (its id is the sale id) — on connection errors, timeouts,
  429 and 5xx, with exponential backoff and full jitter. Enrolment (a
  one-time code) is never retried.
- Request bodies over 1 KiB are gzip-compressed; responses come back gzip.
- The token goes in `Authorization: Bearer`; it is never logged.
- Every transport failure is `HQUnavailable` (the till carries on offline and
  syncs later): no connection, a reset, a timeout, a body cut off mid-stream,
  a body that is not JSON or not `application/json`, bad gzip, a TLS error, a
  5xx after the retries, an answer whose shape this till cannot read. Only a
  4xx with HQ's `{"error", "message"}` is `HQError` (a refusal to act on).
"""
from __future__ import annotations

import gzip
import json
import logging
import random
import time
import uuid
from typing import Any

import requests
import urllib3
from pydantic import BaseModel, ValidationError

from .protocol import (
    PROTOCOL_VERSION, EnrolRequest, EnrolResponse, HoldRequest, HoldResponse, PullEnvelope, PushRequest, PushResponse,
    check_change,
)

log = logging.getLogger("memberpos.sync")

CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 60.0
SNAPSHOT_BUILD_TIMEOUT = 900.0  # HQ may build a snapshot of the whole member base before answering
RETRY_STATUS = {429, 500, 502, 503, 504}


class HQUnavailable(Exception):
    """HQ could not be reached (or kept failing, or answered garbage): the till carries on offline."""


class _Garbled(Exception):
    """A response that arrived but cannot be what HQ sent (wrong type, not JSON)."""


class HQError(Exception):
    """HQ answered with a refusal: status, a stable code and a sentence."""

    def __init__(self, status: int, error: str, message: str):
        super().__init__(f"HQ refused ({status} {error}): {message}")
        self.status, self.error, self.message = status, error, message


def backoff(attempt: int, base: float = 0.25, cap: float = 8.0) -> float:
    """Full jitter: a random wait in [0, min(cap, base * 2^attempt)]."""
    return random.uniform(0, min(cap, base * (2 ** attempt)))


class HQClient:
    def __init__(self, base_url: str, token: str | None = None, *, retries: int = 4,
                 timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT), session: requests.Session | None = None):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"HQ URL must start with http:// or https://, got {base_url!r}")
        self.base = base_url.rstrip("/")
        self.token = token
        self.retries = retries
        self.timeout = timeout
        self.http = session or requests.Session()
        self.http.headers.update({"Accept-Encoding": "gzip", "User-Agent": f"memberpos-till/{PROTOCOL_VERSION}",
                                  "X-Sync-Protocol": str(PROTOCOL_VERSION)})

    def close(self) -> None:
        self.http.close()

    # --- transport ------------------------------------------------------------------------

    def _request(self, method: str, path: str, *, body: Any = None, params: dict | None = None,
                 idempotent: bool, timeout=None, retries: int | None = None) -> dict:
        headers = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
            if len(data) > 1024:
                data = gzip.compress(data, compresslevel=5)
                headers["Content-Encoding"] = "gzip"
        tries = 1 + ((self.retries if retries is None else retries) if idempotent else 0)
        last = "error"
        for attempt in range(tries):
            if attempt:
                time.sleep(backoff(attempt - 1))
            try:
                r = self.http.request(method, self.base + path, data=data, params=params, headers=headers,
                                      timeout=timeout or self.timeout)
                if r.status_code in RETRY_STATUS or r.status_code >= 500:
                    last = f"HTTP {r.status_code}"
                    continue
                if r.status_code >= 400:
                    raise self._refusal(r)
                return self._json(r)
            except (requests.RequestException, _Garbled, UnicodeError, ValueError) as exc:
                # reset, timeout, truncated body (ChunkedEncodingError), bad gzip (ContentDecodingError),
                # TLS (SSLError), not JSON: all "HQ did not answer", retried when safe
                last = str(exc) if isinstance(exc, _Garbled) else type(exc).__name__
                log.info("HQ %s %s: %s (attempt %d/%d)", method, path, last, attempt + 1, tries)
        raise HQUnavailable(f"HQ unreachable at {self.base}: {last}")

    @staticmethod
    def _refusal(r: requests.Response) -> HQError:
        try:
            err = r.json()
        except ValueError:
            err = None
        if not isinstance(err, dict):
            return HQError(r.status_code, "error", f"HTTP {r.status_code} {r.reason or ''}".strip())
        return HQError(r.status_code, str(err.get("error", "error"))[:80], str(err.get("message", ""))[:300])

    @staticmethod
    def _json(r: requests.Response) -> dict:
        ctype = r.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise _Garbled(f"answer is not JSON ({ctype[:40] or 'no content type'})")
        try:
            got = r.json()
        except ValueError:
            raise _Garbled("answer is not valid JSON") from None
        if not isinstance(got, dict):
            raise _Garbled("answer is not a JSON object")
        return got

    def _read(self, model: type[BaseModel], got: dict):
        try:
            return model.model_validate(got)
        except ValidationError:
            raise HQUnavailable(f"HQ at {self.base} answered something this till cannot read "
                                f"(not a {model.__name__})") from None

    # --- calls --------------------------------------------------------------------------------

    def health(self, timeout: float = 3.0) -> dict:
        return self._request("GET", "/v1/health", idempotent=True, timeout=(timeout, timeout), retries=0)

    def enrol(self, code: str, device: str = "") -> EnrolResponse:
        body = EnrolRequest(code=code, device=device).model_dump_json()
        return self._read(EnrolResponse, self._request("POST", "/v1/enrol", body=body, idempotent=False))

    def push(self, req: PushRequest) -> PushResponse:
        got = self._request("POST", "/v1/push", body=req.model_dump_json(), idempotent=True)
        return self._read(PushResponse, got)

    def pull(self, cursor: str | None, limit: int = 1000, own: bool = False) -> PullEnvelope:
        """A page; `.changes` are checked dicts ({"kind", "id", "data"}). `own`: this store's
        own ledger rows too (after a restore from a backup, pos.store.backup)."""
        params = {"cursor": cursor or "", "limit": limit} | ({"own": "true"} if own else {})
        got = self._request("GET", "/v1/pull", params=params, idempotent=True)
        try:
            page = PullEnvelope.model_validate(got)
            page.changes = [check_change(c) for c in page.changes]
        except (ValueError, TypeError) as exc:  # a garbled page: nothing applied, pulled again later
            raise HQUnavailable(f"HQ at {self.base} sent a page this till cannot read: {str(exc)[:200]}") from None
        return page

    def snapshot(self, min_changes: int = 0, timeout: float = SNAPSHOT_BUILD_TIMEOUT) -> dict:
        """A bootstrap snapshot for this new till (`{"snapshot": {...} | None, "store_changes": [...]}`);
        HQ may build it first (a long read). An HQ without snapshots is `HQError` 404."""
        got = self._request("GET", "/v1/snapshot", params={"min_changes": min_changes}, idempotent=True,
                            timeout=(CONNECT_TIMEOUT, timeout))
        snap = got.get("snapshot")
        try:
            if snap is not None:
                if not (isinstance(snap, dict) and isinstance(snap.get("id"), str) and isinstance(snap.get("cursor"), str)
                        and isinstance(snap.get("size"), int) and isinstance(snap.get("sha256"), str)):
                    raise ValueError("not a snapshot")
                got["store_changes"] = [check_change(c) for c in got.get("store_changes") or []]
        except (ValueError, TypeError) as exc:
            raise HQUnavailable(f"HQ at {self.base} sent a snapshot this till cannot read: {str(exc)[:200]}") from None
        return got

    def download_snapshot(self, snapshot_id: str, path, size: int, chunk: int = 1 << 20) -> dict:
        """The snapshot's file into `path`, resuming what is there already (`Range`); a connection
        cut off mid-way is resumed from where it stopped, up to `retries` times. An unknown (expired)
        snapshot is `HQError` 404; a download that keeps failing is `HQUnavailable` (the part stays)."""
        from pathlib import Path

        path = Path(path)
        started = path.stat().st_size if path.exists() else 0
        headers = {"Accept-Encoding": "identity"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        url = f"{self.base}/v1/snapshot/{snapshot_id}"
        last, requests_made = "error", 0
        for attempt in range(1 + self.retries):
            have = path.stat().st_size if path.exists() else 0
            if have == size:
                break
            if have > size:
                path.unlink()
                have = 0
            if attempt:
                time.sleep(backoff(attempt - 1))
            h = dict(headers, **({"Range": f"bytes={have}-"} if have else {}))
            try:
                requests_made += 1
                with self.http.get(url, headers=h, stream=True, timeout=self.timeout) as r:
                    if r.status_code in RETRY_STATUS or r.status_code >= 500:
                        last = f"HTTP {r.status_code}"
                        continue
                    if r.status_code == 416:  # the part is not a prefix of this file: start over
                        path.unlink(missing_ok=True)
                        continue
                    if r.status_code >= 400:
                        raise self._refusal(r)
                    if r.status_code == 206:
                        if not r.headers.get("content-range", "").startswith(f"bytes {have}-"):
                            raise _Garbled("HQ answered another range than asked")
                        mode = "ab"
                    else:  # 200: the whole file
                        mode = "wb"
                    with open(path, mode) as f:  # read1: what arrived before a cut is kept
                        read = getattr(r.raw, "read1", None)
                        if read is None:
                            for block in r.iter_content(1 << 16):
                                f.write(block)
                        else:
                            while block := read(chunk):
                                f.write(block)
            except (requests.RequestException, urllib3.exceptions.HTTPError, _Garbled, OSError) as exc:
                last = str(exc) if isinstance(exc, _Garbled) else type(exc).__name__
                log.info("HQ snapshot download: %s (attempt %d/%d)", last, attempt + 1, 1 + self.retries)
        have = path.stat().st_size if path.exists() else 0
        if have != size:
            raise HQUnavailable(f"HQ unreachable at {self.base}: snapshot download stopped at {have:,} of "
                                f"{size:,} bytes ({last}); it resumes there next time")
        return {"resumed_from": started, "requests": requests_made}

    def hold(self, req: HoldRequest, timeout: float = 1.5) -> HoldResponse:
        """One quick try (the cashier is waiting); the caller falls back to the offline policy."""
        got = self._request("POST", "/v1/holds", body=req.model_dump_json(), idempotent=True,
                            timeout=(min(timeout, CONNECT_TIMEOUT), timeout), retries=0)
        return self._read(HoldResponse, got)

    def release(self, hold_id: uuid.UUID, timeout: float = 1.5) -> bool:
        got = self._request("POST", "/v1/holds/release", body={"protocol": PROTOCOL_VERSION, "hold_id": str(hold_id)},
                            idempotent=True, timeout=(timeout, timeout), retries=0)
        return bool(got.get("released"))

    def phone_policy(self) -> dict:
        """The chain's phone key and unmask policy (an enrolled till; pos.services.phone_privacy)."""
        from .protocol import PhonePolicy

        return self._read(PhonePolicy, self._request("GET", "/v1/phones", idempotent=True)).model_dump()

    def unmask(self, member_id, actor: str) -> str:
        """A member's full number from HQ, which audits the asking (one quick try: a manager waits)."""
        from .protocol import UnmaskRequest, UnmaskResponse

        body = UnmaskRequest(member_id=member_id, actor=actor[:64] or "?").model_dump_json()
        got = self._request("POST", "/v1/members/unmask", body=body, idempotent=True, retries=0)
        return self._read(UnmaskResponse, got).phone

    def resolve_code(self, code: str, timeout: tuple[float, float] = (1.5, 2.5)) -> dict:
        """A dynamic member code this till does not know: HQ verifies it and answers with the
        member's pull rows (one quick try: a cashier waits). A refused code is `HQError`."""
        from .protocol import ResolveCodeRequest, ResolveCodeResponse

        body = ResolveCodeRequest(code=code).model_dump_json()
        got = self._request("POST", "/v1/members/resolve-code", body=body, idempotent=True, timeout=timeout, retries=0)
        resp = self._read(ResolveCodeResponse, got)
        try:
            rows = [check_change(c) for c in resp.changes]
        except (ValueError, TypeError) as exc:
            raise HQUnavailable(f"HQ at {self.base} sent rows this till cannot read: {str(exc)[:200]}") from None
        return {"member_id": str(resp.member_id), "member_code": resp.member_code, "changes": rows}
