"""Messages to a member's phone (one-time codes, links): the `Notifier` interface.

    notifier(hq).send("+8613800138000", "验证码 123456", kind="otp")

`LogNotifier` (the default, for development and tests) keeps each message in HQ's
`notifications` table and logs one line — the phone only masked (138****8000) and
its keyed hash, never the number; `sent(hq, phone=...)` reads them back.
`SmsGatewayNotifier`, chosen when `MEMBERPOS_SMS_URL` is set, posts each message as
JSON `{"to", "text", "kind", "link"}` to that URL (the chain's SMS gateway or a small
relay in front of its vendor's API), with `Authorization: Bearer $MEMBERPOS_SMS_TOKEN`
when set; a message the gateway does not take (no answer in 5 s, or not 2xx) raises
`NotSent`. What was sent is kept in `notifications` as by the log backend.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Protocol

from sqlalchemy import select

from pos.ids import uuid7
from pos.rules import phones

from .common import now_utc
from .phones import chain_key
from .web_models import Notification

log = logging.getLogger("memberpos.hq.notify")


class Notifier(Protocol):
    def send(self, phone_e164: str, text: str, *, kind: str, link: str | None = None) -> None: ...


def phone_hash(hq, phone_e164: str) -> str:
    return phones.digest(chain_key(hq), phone_e164)


class LogNotifier:
    """Console/log backend: the message goes to the `notifications` table and one log line."""

    def __init__(self, hq):
        self.hq = hq

    def send(self, phone_e164: str, text: str, *, kind: str, link: str | None = None) -> None:
        masked = phones.mask(phone_e164)
        with self.hq.transaction() as s:
            s.add(Notification(id=uuid7(), at=now_utc(), phone_hash=phone_hash(self.hq, phone_e164),
                               phone_masked=masked, kind=kind[:24], text=text, link=(link or None) and link[:500]))
        log.info("message %s to %s", kind, masked)


class NotSent(Exception):
    """The SMS gateway did not take the message (the member is asked to try again)."""


class SmsGatewayNotifier:
    """Messages through an SMS gateway at `MEMBERPOS_SMS_URL` (see the module text)."""

    TIMEOUT_S = 5

    def __init__(self, url: str, hq=None, token: str | None = None):
        self.url, self.hq, self.token = url, hq, token

    def send(self, phone_e164: str, text: str, *, kind: str, link: str | None = None) -> None:
        import requests

        masked = phones.mask(phone_e164)
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            r = requests.post(self.url, json={"to": phone_e164, "text": text, "kind": kind, "link": link},
                              headers=headers, timeout=self.TIMEOUT_S)
        except requests.RequestException as exc:
            log.warning("message %s to %s not sent: gateway unreachable (%s)", kind, masked, type(exc).__name__)
            raise NotSent("the SMS gateway did not answer") from None
        if not 200 <= r.status_code < 300:
            log.warning("message %s to %s not sent: gateway answered %s", kind, masked, r.status_code)
            raise NotSent(f"the SMS gateway answered {r.status_code}")
        if self.hq is not None:  # kept as the log backend keeps it (no full number)
            LogNotifier(self.hq).send(phone_e164, text, kind=kind, link=link)


def notifier(hq) -> Notifier:
    """The configured Notifier: a test may set `hq.notifier`; MEMBERPOS_SMS_URL picks the gateway."""
    got = getattr(hq, "notifier", None)
    if got is not None:
        return got
    url = os.environ.get("MEMBERPOS_SMS_URL")
    return SmsGatewayNotifier(url, hq, os.environ.get("MEMBERPOS_SMS_TOKEN") or None) if url else LogNotifier(hq)


def sent(hq, phone: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    """What the log backend sent, oldest first (to one phone, of one kind, when given)."""
    q = select(Notification).order_by(Notification.at, Notification.id)
    if phone:
        q = q.where(Notification.phone_hash == phone_hash(hq, phones.normalize(phone) if not phone.startswith("+") else phone))
    if kind:
        q = q.where(Notification.kind == kind)
    with hq.read() as s:
        return [{"at": n.at, "phone_masked": n.phone_masked, "kind": n.kind, "text": n.text, "link": n.link}
                for n in s.scalars(q)]
