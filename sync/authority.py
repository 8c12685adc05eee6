"""HQ as the till's authority (pos.services.hq_port): spending holds, phone unmasking and
dynamic member codes unknown here, over HTTP. `install()` makes it the one an enrolled
till asks; `main.py` calls it at start, before the app or a CLI command runs.

Transport outcomes become the domain's: no answer in time, a connection error, a
garbled answer, or a credential HQ no longer accepts (401/403, reason `hq:<error>`)
is `Unavailable` (offline rules apply); HQ's answer to a hold is `Granted` or
`Refused`; HQ refusing an unmask is `Denied`.
"""
from __future__ import annotations

import logging

import requests

from pos.services import hq_port
from pos.services.hq_port import Denied, Unavailable
from pos.services.spending import Granted, Refused, SpendRequest

from .client import HQClient, HQError, HQUnavailable
from .engine import NotEnrolled, client_for
from .protocol import HoldRequest

log = logging.getLogger("memberpos.sync")
UNMASK_TIMEOUT = (2.0, 3.0)  # connect, read: a manager waits
RESOLVE_TIMEOUT = (1.5, 2.5)  # a dynamic member code unknown here: the cashier waits


class HQAuthority:
    """Implements `spending.SpendingAuthority` and `phone_privacy.PhoneAuthority`.
    Each call opens its own short-lived client unless one is given."""

    def __init__(self, db, client: HQClient | None = None):
        self.db = db
        self.client = client

    def _client(self, **kw) -> HQClient:
        if self.client is not None:
            return self.client
        try:
            return client_for(self.db, retries=0, **kw)
        except NotEnrolled:
            raise Unavailable("offline") from None

    def _done(self, client: HQClient) -> None:
        if client is not self.client:
            client.close()

    def hold(self, request: SpendRequest, timeout: float) -> Granted | Refused:
        client = self._client()
        try:
            resp = client.hold(HoldRequest(hold_id=request.hold_id, member_id=request.member_id, points=request.points,
                                           coupon_codes=list(request.coupon_codes)), timeout=timeout)
        except HQUnavailable:
            raise Unavailable("offline") from None
        except HQError as exc:  # a refusal to act on the request itself: decided offline, the reason kept
            raise Unavailable(f"hq:{exc.error}" if exc.status in (401, 403) else "offline") from None
        finally:
            self._done(client)
        if resp.status == "held":
            return Granted(resp.hold_id, resp.available_points, tuple(resp.unconfirmed_coupons))
        return Refused(resp.reason, resp.available_points, resp.hold_id)

    def unmask(self, member_id, actor: str) -> str:
        client = self._client(timeout=UNMASK_TIMEOUT)
        try:
            return client.unmask(member_id, actor)
        except (HQUnavailable, requests.RequestException, ValueError):  # every transport failure is "offline"
            raise Unavailable("offline") from None
        except HQError as exc:
            raise Denied(exc.error) from None
        finally:
            self._done(client)

    def resolve_code(self, code: str) -> dict:
        """A dynamic member code unknown here (pos.services.member_code): HQ's member rows,
        `Denied("code.stale" | "code.invalid")`, or `Unavailable`."""
        client = self._client(timeout=RESOLVE_TIMEOUT)
        try:
            return client.resolve_code(code, timeout=RESOLVE_TIMEOUT)
        except (HQUnavailable, requests.RequestException, ValueError):
            raise Unavailable("offline") from None
        except HQError as exc:
            if exc.status in (401, 403):
                raise Unavailable(f"hq:{exc.error}") from None
            raise Denied(exc.error) from None
        finally:
            self._done(client)


def install() -> None:
    """HQ over HTTP answers for every enrolled till in this process."""
    hq_port.install(HQAuthority)
