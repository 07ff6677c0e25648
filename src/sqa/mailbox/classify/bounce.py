"""Delivery failure reports (bounces): who failed, how badly, and which of our mails it was.

Sources, in order; the first that names a failed recipient wins:

1. RFC 3464 ``message/delivery-status`` parts, per recipient block: Original-Recipient (the
   address we sent to), else Final-Recipient; Action; Status (a generic x.0.0 refined by the
   Diagnostic-Code's code). A report wrapped as an attachment or with a broken MIME structure
   is read too;
2. ``X-Failed-Recipients`` (Exim, Gmail, ...);
3. flufl.bounce's detectors (``all_failures``: Postfix, qmail, Exchange, Yahoo, Domino, ...
   layouts), fed a trimmed copy of the tree; if it raises, our own reading goes on;
4. our own reading of the NDR text: the addresses under "Delivery has failed to these
   recipients", "The following address(es) failed", ... and last the To of our returned mail.

Grading (STANDARDS.md "Never reply to a machine"): ``failed`` with 5.x.x is permanent, except
5.7.x (policy/reputation: not permanent, ``Flag.POLICY``) and x.2.2 (mailbox full: soft,
``Flag.SOFT``); 4.x.x and ``Action: delayed`` are soft. Without a code, or with a generic
x.0.0, the NDR's words decide ("mailbox full", "not yet been delivered", "spam"/"blocked"...),
else a failure is permanent. With several recipients, the permanent ones are reported (they
are what the handler acts on) and the others are named in the reason.

Which mail bounced: the Message-ID of the returned message (message/rfc822, text/rfc822-headers
or an inline copy), else In-Reply-To/References; one under our domain is preferred.

Never a blind bounce: a mailer-daemon/postmaster sender, a null return path or an NDR-like
subject only make a message a suspect. It is a bounce when its content shows a report: a
delivery-status part, multipart/report;report-type=delivery-status, X-Failed-Recipients, a
returned copy announced the way mail servers do, an SMTP status reply, a sentence mail servers
write, or a layout flufl.bounce knows. An attached message alone is not enough (a postmaster
may attach our mail to a question or a complaint). Everything else falls through to the next
rules (``machine_sender`` calls such mail from the mail system ``bulk``), with no bounce claimed.

Cost: ordinary mail stops at the pre-check (dict lookups, a few substring tests on the subject;
~2 µs); only suspects walk the MIME tree (~0.2-0.5 ms for a typical bounce).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from sqa.mailbox.classify.base import BounceInfo, Context, Facts, Flag, Hit, Kind
from sqa.mailbox.classify.dsn import (
    _ADDRESS, _BASIC, _NDR_PHRASE, _RECIPIENT_CUE, _RECIPIENT_FIELDS, _REPLY_CODE, _VALID, FLUFL_TEXT,
    MAX_FLUFL_BYTES, MAX_PARTS, MAX_TEXT, Report, _clean_address, _for_flufl, _status_of, read_report,
)
from sqa.mailbox.parse import InboundMessage

# The MIME/report reading lives in dsn; its public names are re-exported here.
__all__ = [
    "FLUFL_TEXT", "MAX_FLUFL_BYTES", "MAX_PARTS", "MAX_TEXT", "NULL_RETURN_PATH", "SYSTEM_LOCALPARTS",
    "SYSTEM_SENDER", "Bounce", "Failure", "Report", "grade", "read_report", "system_sender",
]

# -- pre-check -----------------------------------------------------------------

NULL_RETURN_PATH = "null return path <>"
SYSTEM_SENDER = "sent by the mail system"
_STRONG_SIGNALS = ("multipart/report", "X-Failed-Recipients", SYSTEM_SENDER)

SYSTEM_LOCALPARTS = frozenset({
    "mailer-daemon", "mailer_daemon", "mailerdaemon", "mail-daemon", "maildaemon", "postmaster",
    "mdaemon", "mail.delivery.system", "mail-delivery-system", "mail_delivery_system", "maildelivery",
    "mail-delivery", "ndr", "nondelivery", "non-delivery",
})
_SYSTEM_LOCAL = re.compile(r"microsoftexchange[0-9a-f]{32}$")
_SYSTEM_NAME = re.compile(r"(?i)mail ?delivery (system|subsystem|service)|mailer.?daemon|postmaster|mail administrator")
_REPLY_PREFIX = re.compile(r"(?i)\s*(re|fwd?|aw|wg|tr|rv|sv|vs|antw|r)\s*(\[\d+\])?\s*:")
_SUBJECT_NDR = re.compile(
    r"undeliver|undelivered|non-?deliver|not delivered|could not be delivered|couldn't be delivered"
    r"|delivery (status notification|failure|failed|has failed|notification|report|problem|delayed|warning|error)"
    r"|mail delivery|failure notice|failure delivery|failed mail|returned mail|returning message|mail not delivered"
    r"|message (delayed|not delivered|delivery failure)|delayed mail|mail system error|delivery status"
    r"|warning: message|address not found|nicht zustellbar|unzustellbar|zustellung fehlgeschlagen|nicht zugestellt"
    r"|non remis|non distribu|échec de (la )?(remise|distribution)|impossible de remettre|no se puede entregar"
    r"|no entregado|error de entrega|onbestelbaar|niet afgeleverd|niet bezorgd|non recapitabil|mancata consegna"
    r"|não entregue|falha (na|de) entrega|não foi possível entregar|не доставлено"
)

# Every _SUBJECT_NDR alternative contains one of these: a few substring tests spare the regex on most subjects.
_SUBJECT_STEMS = ("deliver", "failure", "failed", "returned", "returning", "delay", "warning", "not found",
                  "mail system", "zustell", "remis", "remise", "distribu", "entreg", "bestel", "afgeleverd",
                  "bezorgd", "recapit", "consegna", "zugestellt", "remettre", "доставлено")

# -- grading ---------------------------------------------------------------------

# Anchored at the start: an NDR subject usually quotes ours after its own words ("Undeliverable: Delays at X").
_DELAY_SUBJECT = re.compile(
    r"(?i)\s*(delivery (status notification \((delay|mail delivery delayed)\)|delayed|is delayed|warning)"
    r"|delayed mail|warning: message (\S+ )?(delayed|has not yet been delivered)|message delayed|mail delivery warning"
    r"|(zustellung )?verzögert|remise (différée|retardée)|entrega (retrasada|atrasada)|vertraagd|consegna ritardata)"
)
_DELAY_TEXT = re.compile(
    r"(?i)has not yet been delivered|hasn't been delivered yet|not been delivered yet|will (continue to )?(be )?"
    r"(re)?tr(y|ied)|will keep trying|still (being )?(re)?tr(y|ied)|delivery attempts will continue|no action is required"
    r"|this is (just )?a warning|delivery (is|has been) delayed"
)
_FAIL_TEXT = re.compile(r"(?i)permanent (fatal )?error|gave up|giving up|has failed|failed permanently|could not be delivered"
                        r"|couldn't be delivered|was not delivered|not deliverable|undeliverable")
_QUOTA = re.compile(
    r"(?i)mailbox (is )?full|full mailbox|over ?quota|disk ?space quota|disk quota|not enough (storage|disk) space|quota (exceeded|exceed|full)|exceeded (the |its )?(storage|quota)|mailbox size"
    r"|storage (limit|allocation)|insufficient (system )?storage|out of storage|quotaexceeded|postfach (ist )?voll"
    r"|speicherplatz|boîte (aux lettres )?pleine|quota dépassé|buzón (está )?lleno|casella (di posta )?piena"
    r"|caixa (de correio )?(está )?cheia|mailbox vol"
)
_UNKNOWN = re.compile(
    r"(?i)user unknown|unknown user|no such (user|mailbox|recipient|address|domain)|does ?n[o']t exist|not exist"
    r"|unrouteable|unroutable|not listed|recipient not found|address not found|invalid (recipient|address|mailbox)"
    r"|mailbox (is )?(unavailable|not found|disabled|inactive)|no mailbox|account (is |has been )?(disabled|inactive"
    r"|suspended|closed|deleted)|user doesn't have|unknown recipient|recipient address rejected|host not found"
    r"|domain not found|unbekannt|existiert nicht|inexistant|n'existe pas|inesistente|no existe|não existe|onbekend"
)
_POLICY = re.compile(
    r"(?i)spam|unsolicited|blocked|blacklist|blocklist|block list|dmarc|\bspf\b|dkim|reputation|policy"
    r"|content (was )?rejected|not authori[sz]ed|unauthenticated|relay(ing)? (access )?denied"
    r"|virus (found|detected)|infected|malware"
)


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed recipient, graded."""

    address: str
    permanent: bool
    flag: Flag | None  # SOFT or POLICY for a non-permanent failure
    status: str | None
    why: str  # "5.1.1 hard", "delayed", "mailbox full", ...


def grade(status: str | None, *, delayed: bool, text: str = "") -> tuple[bool, Flag | None, str]:
    """(permanent, flag, why) for one failed recipient, from its status code, action and diagnostic text."""
    if delayed:
        return False, Flag.SOFT, "delayed"
    if status:
        cls, subject, detail = status.split(".")
        if cls == "4":
            return False, Flag.SOFT, f"{status} temporary"
        if subject == "2" and (detail == "2" or _QUOTA.search(text)):  # x.2.2, or another x.2.x saying "quota"
            return False, Flag.SOFT, f"{status} mailbox full"
        if cls == "5" and subject == "7":
            return False, Flag.POLICY, f"{status} policy"
        if cls == "5" and (subject in ("3", "5", "6") or status == "5.4.6"):
            # system, protocol, content (e.g. 5.3.4 too big) or loop: this message failed, the address is fine
            return False, None, f"{status} message refused, not a bad address"
        if cls == "5" and not (subject == "0" and detail == "0"):
            return True, None, f"{status} hard"
    # No status, or a generic x.0.0: the words decide.
    if _QUOTA.search(text):
        return False, Flag.SOFT, f"{status + ' ' if status else ''}mailbox full"
    if not _UNKNOWN.search(text) and _POLICY.search(text):
        return False, Flag.POLICY, f"{status + ' ' if status else ''}policy"
    return True, None, f"{status + ' ' if status else ''}hard"


# -- the rule ------------------------------------------------------------------------


def _is_own(address: str, ctx: Context) -> bool:
    if address in ctx.own_addresses or address in ctx.unsubscribe_addresses:
        return True
    local, _, domain = address.partition("@")
    if "+" in local:  # our plus-addresses: ava+anything@our-domain
        return f"{local.split('+', 1)[0]}@{domain}" in ctx.own_addresses
    return False


def system_sender(msg: InboundMessage) -> str | None:
    """The sender, shown, when it is the mail system itself (mailer-daemon, postmaster, ...); else None."""
    address = msg.from_addr or ""
    local = address.split("@", 1)[0]
    if local in SYSTEM_LOCALPARTS or _SYSTEM_LOCAL.match(local):
        return address
    if msg.from_name and _SYSTEM_NAME.search(msg.from_name):
        return f"{msg.from_name} <{address}>"
    return None


def _precheck(facts: Facts) -> list[str]:
    """Why this message may be a delivery report; empty for ordinary mail (the fast path)."""
    msg = facts.msg
    signals: list[str] = []
    ctype = msg.headers.get("content-type", "")
    if ctype[:16].lower() == "multipart/report":
        signals.append("multipart/report")
    if "x-failed-recipients" in msg.headers:
        signals.append("X-Failed-Recipients")
    sender = system_sender(msg)
    if sender:
        signals.append(f"{SYSTEM_SENDER} ({sender})")
    if msg.return_path == "":
        signals.append(NULL_RETURN_PATH)
    subject = msg.subject
    if subject and not _REPLY_PREFIX.match(subject):  # most mail from people is a reply: no regex at all
        low = subject.lower()
        if any(stem in low for stem in _SUBJECT_STEMS) and _SUBJECT_NDR.search(low):
            signals.append("delivery-failure subject")
    return signals


class Bounce:
    name = "bounce"
    description = "delivery failure report: RFC 3464 DSN, X-Failed-Recipients or a known NDR layout"

    def check(self, facts: Facts) -> Hit | None:
        signals = _precheck(facts)
        if not signals or facts.msg.mime is None:
            return None
        try:
            return self._inspect(facts, signals)
        except Exception:  # noqa: BLE001 - never raise: a report we cannot read is not claimed
            return None

    def _inspect(self, facts: Facts, signals: list[str]) -> Hit | None:
        msg, ctx = facts.msg, facts.ctx
        mime = msg.mime
        assert mime is not None
        report = read_report(mime)
        if self._dsn_success_only(report) and "x-failed-recipients" not in msg.headers:
            return None  # a DSN that only reports delivered/relayed/expanded: not a failure
        delayed_msg = bool(_DELAY_SUBJECT.match(msg.subject or "")) or (
            bool(_DELAY_TEXT.search(report.text)) and not _FAIL_TEXT.search(report.text))
        excluded = {msg.from_addr or ""}

        failures = self._from_dsn(report, ctx, excluded)
        source = "delivery-status report"
        if not failures and "x-failed-recipients" in msg.headers:
            failures = self._graded(self._addresses(msg.headers["x-failed-recipients"], ctx, excluded),
                                    report, delayed_msg, frozenset())
            source = "X-Failed-Recipients"
        evidence = self._evidence(report, msg.headers.get("content-type", ""))
        # flufl.bounce's heuristics run on what comes from the mail system or is a report; a null return path or
        # a subject alone (an auto-reply? "Delivery report for March"?) must first show report content.
        strong = report.dsn_blocks or any(s.startswith(_STRONG_SIGNALS) for s in signals)
        if not failures and (strong or evidence):
            temporary, permanent = self._flufl(mime, msg.size)
            addresses = [a for a in dict.fromkeys([*sorted(permanent), *sorted(temporary)])
                         if a not in excluded and not _is_own(a, ctx)]
            if addresses:
                failures = self._graded(addresses, report, delayed_msg, frozenset(temporary))
                source = "NDR layout (flufl.bounce)"
                evidence = evidence or "an NDR layout flufl.bounce knows"
        if not failures and not evidence:
            return None  # from the mail system or bounce-like, but nothing a delivery report contains
        original = self._original_id(report, msg.in_reply_to, msg.references, ctx)
        if not failures:
            failures = self._graded(self._cued(report.text, ctx, excluded), report, delayed_msg, frozenset())
            source = "NDR text"
        if not failures and ((original and self._ours(original, ctx))
                             or any(_is_own(a, ctx) for a in report.returned_from)):
            # a delivery report returning OUR mail without naming the address: its To is who we sent it to
            to = [a for a in dict.fromkeys(report.returned_to) if not _is_own(a, ctx) and a not in excluded]
            failures = self._graded(to, report, delayed_msg, frozenset())
            source = "the To of our returned mail"
        if not failures:
            status = _status_of(report.text)
            permanent, flag, why = grade(status, delayed=delayed_msg, text=report.text)
            flags = frozenset({flag}) if flag else frozenset()
            return Hit(Kind.BOUNCE, f"delivery failure report ({evidence}; {'; '.join(signals)}) but no failed "
                                    f"address could be read: {why}", flags,
                       bounce=BounceInfo((), permanent, status, original))
        chosen = [f for f in failures if f.permanent] or failures
        others = [f for f in failures if f not in chosen]
        flags = frozenset(f.flag for f in chosen if f.flag)
        info = BounceInfo(tuple(dict.fromkeys(f.address for f in chosen)), chosen[0].permanent,
                          next((f.status for f in chosen if f.status), None), original)
        detail = ", ".join(f"{f.address} {f.why}" for f in chosen[:5])
        if len(chosen) > 5:
            detail += f" and {len(chosen) - 5} more"
        if others:
            detail += "; also " + ", ".join(f"{f.address} {f.why}" for f in others[:3])
        context = "; ".join(signals) if source == "delivery-status report" else f"{evidence}; {'; '.join(signals)}"
        return Hit(Kind.BOUNCE, f"{source}: {detail} ({context})", flags, bounce=info)

    # -- sources ----------------------------------------------------------------

    @staticmethod
    def _dsn_success_only(report: Report) -> bool:
        """A DSN whose recipient blocks all say delivered/relayed/expanded (a success notice)."""
        actions = [b.get("action", "").strip().lower() for b in report.dsn_blocks if _RECIPIENT_FIELDS & b.keys()]
        return bool(actions) and all(a.startswith(("deliver", "relay", "expand")) for a in actions)

    def _from_dsn(self, report: Report, ctx: Context, excluded: set[str]) -> list[Failure]:
        failures: list[Failure] = []
        for block in report.dsn_blocks:
            if not _RECIPIENT_FIELDS & block.keys():
                continue
            action = block.get("action", "").strip().lower()
            status = _status_of(block.get("status", ""))
            specific = _status_of(block.get("diagnostic-code", ""))
            if specific and (status is None or (status.endswith(".0.0") and specific[0] == status[0])):
                status = specific  # "Status: 5.0.0" with "Diagnostic-Code: smtp; 550 5.7.1 ...": the detail counts
            if action.startswith("delay"):
                delayed = True
            elif action.startswith(("fail", "error")):
                delayed = False
            elif not action and status and status[0] in "45":
                delayed = False
            else:
                continue  # delivered, relayed, expanded: not a failure
            address = None
            for name in ("original-recipient", "final-recipient", "x-actual-recipient"):
                if name in block:
                    address = _clean_address(block[name])
                    if address:
                        break
            if not address or address in excluded or _is_own(address, ctx):
                continue
            permanent, flag, why = grade(status, delayed=delayed, text=block.get("diagnostic-code", ""))
            if not any(f.address == address for f in failures):
                failures.append(Failure(address, permanent, flag, status, why))
        return failures

    def _addresses(self, value: str, ctx: Context, excluded: set[str]) -> list[str]:
        found = [a.lower() for a in _ADDRESS.findall(value)]
        return [a for a in dict.fromkeys(found) if a not in excluded and not _is_own(a, ctx)]

    @staticmethod
    def _flufl(mime: Message, size: int) -> tuple[set[str], set[str]]:
        if size > MAX_FLUFL_BYTES:
            return set(), set()
        try:
            from flufl.bounce import all_failures

            temporary, permanent = all_failures(_for_flufl(mime, [MAX_PARTS]))
        except Exception:  # noqa: BLE001 - flufl.bounce raises on odd input: our own reading follows
            return set(), set()

        def norm(items: frozenset[bytes]) -> set[str]:
            out = set()
            for item in items:
                text = (item.decode("ascii", "replace") if isinstance(item, bytes) else str(item)).strip().strip("<>").lower()
                if _VALID.fullmatch(text):
                    out.add(text)
            return out

        return norm(temporary), norm(permanent)

    def _cued(self, text: str, ctx: Context, excluded: set[str]) -> list[str]:
        """Addresses on or just after a 'these recipients failed' line of the NDR text."""
        found: list[str] = []
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if not _RECIPIENT_CUE.search(line):
                continue
            window = [line]
            taken = 0
            for nxt in lines[i + 1: i + 12]:
                window.append(nxt)
                taken += bool(nxt.strip())
                if taken >= 6:
                    break
            for candidate in _ADDRESS.findall("\n".join(window)):
                address = candidate.lower().rstrip(".")
                local = address.split("@", 1)[0]
                if local in SYSTEM_LOCALPARTS or address in excluded or _is_own(address, ctx):
                    continue
                found.append(address)
            if found:
                break
        return list(dict.fromkeys(found))

    def _graded(self, addresses: list[str], report: Report, delayed_msg: bool, temporary: frozenset[str]) -> list[Failure]:
        """Grade addresses found outside a DSN: by the status code and words near each one in the NDR text."""
        text = report.text
        lower = text.lower()
        failures = []
        for address in addresses:
            segments = []
            start = lower.find(address)
            while start != -1 and len(segments) < 4:
                end = start + 600
                for other in addresses:
                    if other != address:
                        nxt = lower.find(other, start + len(address))
                        if nxt != -1:
                            end = min(end, nxt)
                segments.append(text[start:end])
                start = lower.find(address, start + len(address))
            near = "\n".join(segments)
            status = _status_of(near)
            if status is None and len(addresses) == 1:
                status = _status_of(text)
                near = text
            basic = None
            if status is None:
                code = _BASIC.search(near if near else text)
                basic = code.group(1) if code else None
            words = near or text
            if delayed_msg or address in temporary:
                permanent, flag, why = grade(None, delayed=True)
            elif status is None and basic and basic[0] == "4":
                permanent, flag, why = False, Flag.SOFT, f"{basic} temporary"
            else:
                permanent, flag, why = grade(status, delayed=False, text=words)
                if basic and status is None:
                    why = f"{basic} {why}"
            failures.append(Failure(address, permanent, flag, status, why))
        return failures

    @staticmethod
    def _evidence(report: Report, content_type: str) -> str:
        """Why the content is a delivery report; "" if it is not one. The sender alone never decides, nor an
        attached message (a postmaster may attach our mail to a question or a complaint)."""
        if report.dsn_blocks:
            return "delivery-status part"
        low = content_type.lower()
        if low.startswith("multipart/report") and "delivery-status" in low:
            return "multipart/report; report-type=delivery-status"
        if report.ndr_copy:
            return "returned copy of a message"
        if _REPLY_CODE.search(report.text):
            return "SMTP status reply"
        if _NDR_PHRASE.search(report.text):
            return "mail-server report text"
        return ""

    @staticmethod
    def _ours(message_id: str, ctx: Context) -> bool:
        return bool(ctx.domain) and message_id.rstrip(">").lower().endswith("@" + ctx.domain.lower())

    def _original_id(self, report: Report, in_reply_to: str | None, references: tuple[str, ...], ctx: Context) -> str | None:
        candidates = [*report.returned_ids, *([in_reply_to] if in_reply_to else []), *reversed(references)]
        for candidate in candidates:
            if self._ours(candidate, ctx):
                return candidate
        return report.returned_ids[0] if report.returned_ids else None
