"""The till's HTTP client for HQ (requests.Session).

- Timeouts on every request (connect, read); a short one for holds, which a
  cashier is waiting on.
- Retries only of idempotent requests — push (HQ dedups by event id), pull
  (a read), hold (its id is the sale id) — on connection errors, timeouts,
  429 and 5xx, with exponential backoff and full jitter. Enrolment (a
  one-time code) is never retried.
- Request bodies over 1 KiB are gzip-compressed; responses come back gzip.
- The token goes in `Authorization: Bearer`; it is never logged.
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

from .protocol import (
    PROTOCOL_VERSION, EnrolRequest, EnrolResponse, HoldRequest, HoldResponse, PullEnvelope, PushRequest, PushResponse,
    check_change,
)

log = logging.getLogger("memberpos.sync")

CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 60.0
RETRY_STATUS = {429, 500, 502, 503, 504}


class HQUnavailable(Exception):
    """HQ could not be reached (or kept failing): the till carries on offline."""


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
        last: Exception | None = None
        for attempt in range(tries):
            if attempt:
                time.sleep(backoff(attempt - 1))
            try:
                r = self.http.request(method, self.base + path, data=data, params=params, headers=headers,
                                      timeout=timeout or self.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = exc
                log.info("HQ %s %s: %s (attempt %d/%d)", method, path, type(exc).__name__, attempt + 1, tries)
                continue
            if r.status_code in RETRY_STATUS and attempt + 1 < tries:
                last = HQError(r.status_code, "server", r.text[:200])
                continue
            if r.status_code >= 400:
                try:
                    err = r.json()
                    raise HQError(r.status_code, str(err.get("error", "error")), str(err.get("message", r.text[:200])))
                except ValueError:
                    raise HQError(r.status_code, "error", r.text[:200]) from None
            return r.json()
        if isinstance(last, HQError):
            raise last
        raise HQUnavailable(f"HQ unreachable at {self.base}: {type(last).__name__ if last else 'error'}")

    # --- calls --------------------------------------------------------------------------------

    def health(self, timeout: float = 3.0) -> dict:
        return self._request("GET", "/v1/health", idempotent=True, timeout=(timeout, timeout), retries=0)

    def enrol(self, code: str, device: str = "") -> EnrolResponse:
        body = EnrolRequest(code=code, device=device).model_dump_json()
        return EnrolResponse.model_validate(self._request("POST", "/v1/enrol", body=body, idempotent=False))

    def push(self, req: PushRequest) -> PushResponse:
        got = self._request("POST", "/v1/push", body=req.model_dump_json(), idempotent=True)
        return PushResponse.model_validate(got)

    def pull(self, cursor: str | None, limit: int = 1000) -> PullEnvelope:
        """A page; `.changes` are checked dicts ({"kind", "id", "data"})."""
        got = self._request("GET", "/v1/pull", params={"cursor": cursor or "", "limit": limit}, idempotent=True)
        try:
            page = PullEnvelope.model_validate(got)
            page.changes = [check_change(c) for c in page.changes]
        except (ValueError, TypeError) as exc:
            raise HQError(200, "protocol.invalid", f"HQ sent a page this till cannot read: {str(exc)[:200]}") from None
        return page

    def hold(self, req: HoldRequest, timeout: float = 1.5) -> HoldResponse:
        """One quick try (the cashier is waiting); the caller falls back to the offline policy."""
        got = self._request("POST", "/v1/holds", body=req.model_dump_json(), idempotent=True,
                            timeout=(min(timeout, CONNECT_TIMEOUT), timeout), retries=0)
        return HoldResponse.model_validate(got)

    def release(self, hold_id: uuid.UUID, timeout: float = 1.5) -> bool:
        got = self._request("POST", "/v1/holds/release", body={"protocol": PROTOCOL_VERSION, "hold_id": str(hold_id)},
                            idempotent=True, timeout=(timeout, timeout), retries=0)
        return bool(got.get("released"))
