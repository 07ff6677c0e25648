"""Bulk mail: mailing lists, newsletters and notifications - never answered (RFC 2369, RFC 2919, RFC 3834).

Signals: ``List-Id`` and the other ``List-*`` headers (``List-Unsubscribe``,
``List-Post``, ``List-Help``, ...), ``Precedence: bulk|list|junk``, list
managers' envelope senders (``owner-*``, ``*-request``, ``*-bounces``),
notification senders (``noreply@``, ``do-not-reply@``, ``notifications@``,
...) and the headers newsletter platforms add (``Feedback-ID``,
``X-Campaign*``, ``X-Mailchimp-*``, ``X-CSA-Complaints``, an ESP ``X-Mailer``).

A reply in one of OUR threads (In-Reply-To/References holds one of our
Message-IDs) written by a person is not bulk, even when the way it reached us
added list headers (a lead answering through their team's group address, a
sales tool): it must reach the unsubscribe and human rules. A machine sender
in our thread (``noreply@``) stays bulk. ``self``, ``bounce`` and the
auto-reply headers rule run before this one.
"""

from __future__ import annotations

import logging
import re

from sqa.mailbox.classify.base import Context, Facts, Hit, Kind
from sqa.mailbox.parse import InboundMessage

log = logging.getLogger(__name__)

LIST_HEADERS = ("list-id", "list-post", "list-unsubscribe", "list-help", "list-subscribe", "list-owner",
                "list-archive", "list-unsubscribe-post", "mailing-list", "x-mailing-list")
BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})
ESP_HEADERS = frozenset({"feedback-id", "x-campaign", "x-campaignid", "x-campaign-id", "x-csa-complaints", "x-mc-user",
                         "x-newsletter", "x-mailjet-campaign", "x-rpcampaign", "x-ems-campaign"})
ESP_HEADER_PREFIXES = ("x-mailchimp-", "x-mc-", "x-campaign", "x-cmail-", "x-klaviyo-", "x-mailerlite-", "x-brevo-",
                       "x-sib-", "x-cleverreach-", "x-acmailing", "x-mailpoet-")
ESP_MAILER = re.compile(
    r"(?i)mailchimp|cleverreach|sendinblue|brevo|mailerlite|campaign\s*monitor|createsend|klaviyo|mailjet"
    r"|constant\s*contact|activecampaign|getresponse|emarsys|exacttarget|marketing\s*cloud|silverpop|newsletter2go"
    r"|rapidmail|mailpoet|sendy|phplist|listmonk|mautic|sailthru|acoustic|dotdigital|moosend|omnisend|substack"
)
# Local parts of notification senders: a token of the address (split on - _ . +) or the whole of it.
MACHINE_LOCAL = re.compile(
    r"""(?ix)^(?:[a-z0-9]+[-_.+])*?
    (?:no[-_.]?reply|do[-_.]?not[-_.]?reply|dont[-_.]?reply|donotrespond|no[-_.]?response|notifications?|notify
      |newsletters?|bounces?|listserv|majordomo|mailman|alerts?|digest|auto[-_.]?(?:reply|responder|confirm|mailer)
      |automated|mailer)
    (?:[-_.+][a-z0-9]+)*$"""
)
# List managers' addresses (envelope sender, Sender, Errors-To, From).
LIST_LOCAL = re.compile(r"(?i)^owner-|-owner$|-request$|-bounces(?:\+|$)|^listserv$|^majordomo$|^mailman$")
MACHINE_DOMAIN_LABEL = re.compile(r"(?i)^(?:no-?reply|notifications?|bounces?)\.")


def _local_domain(address: str | None) -> tuple[str, str]:
    if not address or "@" not in address:
        return "", ""
    local, _, domain = address.strip().strip("<>").rpartition("@")
    return local.lower(), domain.lower()


def _address(value: str | None) -> str | None:
    if not value:
        return None
    m = re.search(r"<([^<>@\s]+@[^<>\s]+)>", value) or re.search(r"([^<>\s,;\"]+@[^<>\s,;\"]+)", value)
    return m.group(1).lower() if m else None


def machine_sender(msg: InboundMessage) -> str | None:
    """A notification or list-manager sender, or None."""
    local, domain = _local_domain(msg.from_addr)
    if local:
        if MACHINE_LOCAL.match(local):
            return f"notification sender {msg.from_addr}"
        if LIST_LOCAL.search(local):
            return f"list manager sender {msg.from_addr}"
        if MACHINE_DOMAIN_LABEL.match(domain):
            return f"notification sender domain {domain}"
    for label, value in (("envelope sender", msg.return_path), ("Sender", _address(msg.headers.get("sender"))),
                         ("Errors-To", _address(msg.headers.get("errors-to")))):
        local, _ = _local_domain(value)
        if local and LIST_LOCAL.search(local):
            return f"list manager {label} {value}"
    return None


def header_signal(msg: InboundMessage) -> str | None:
    """List-*, Precedence and newsletter-platform headers, or None."""
    h = msg.headers
    for name in LIST_HEADERS:
        if name in h:
            return f"{'-'.join(p.title() if p != 'id' else 'Id' for p in name.split('-'))} header"
    precedence = (h.get("precedence") or "").strip().lower()
    if precedence in BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    mailer = h.get("x-mailer")
    if mailer and ESP_MAILER.search(mailer):
        return f"newsletter platform X-Mailer: {mailer[:40]}"
    if msg.mime is not None:
        for name in msg.mime.keys():
            low = name.lower()
            if low in ESP_HEADERS or low.startswith(ESP_HEADER_PREFIXES):
                return f"newsletter platform header {name}"
    return None


def in_our_thread(msg: InboundMessage, ctx: Context) -> bool:
    """In-Reply-To or References names one of our own Message-IDs."""
    domain = (ctx.domain or "").lower()
    if not domain:
        return False
    suffix = "@" + domain + ">"
    ids = ((msg.in_reply_to,) if msg.in_reply_to else ()) + tuple(msg.references)
    return any(i.lower().endswith(suffix) for i in ids)


def bulk_signal(msg: InboundMessage, ctx: Context) -> str | None:
    """Why this is bulk mail, or None. Shared with the auto-reply header rule (a notification with
    ``Auto-Submitted: auto-generated`` from a list or a no-reply sender is bulk, not an auto-reply)."""
    sender = machine_sender(msg)
    if in_our_thread(msg, ctx):
        return f"{sender} (in our thread)" if sender else None
    return header_signal(msg) or sender


class Bulk:
    name = "bulk"
    description = "mailing list, newsletter or notification: List-* headers, Precedence bulk/list/junk, no-reply senders"

    def check(self, facts: Facts) -> Hit | None:
        msg = facts.msg
        try:
            reason = bulk_signal(msg, facts.ctx)
        except Exception:  # noqa: BLE001 - a rule never raises
            log.exception("bulk failed on %s", msg.message_id)
            return None
        return Hit(Kind.BULK, reason) if reason else None
