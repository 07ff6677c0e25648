"""Lead records: add, import, list, show. Used by the CLI, the demo and the tests."""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sqa.consent import store as consent
from sqa.db.models import AgentRun, ConsentEvent, Lead, LeadStatus, Message, Outbox, utcnow
from sqa.outreach.settings import IntakeSettings, check_zone
from sqa.runtime import AgentRuntime

_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
CSV_FIELDS = ("email", "name", "company", "title", "language", "timezone", "owner", "source", "country")
#: a conversation in one of these has ended: the address may be contacted again after the agent's cool-down
FINISHED = (LeadStatus.HANDED_OVER, LeadStatus.DISQUALIFIED, LeadStatus.OPTED_OUT, LeadStatus.BOUNCED,
            LeadStatus.UNRESPONSIVE)
MAX_FIELD = 200
DEFAULT_COOLDOWN_DAYS = IntakeSettings().cooldown_days
CHUNK = 500  # addresses per IN (...) query


class LeadError(ValueError):
    """A lead that cannot be stored, with the reason."""


@dataclass(frozen=True, slots=True)
class LeadInput:
    email: str
    name: str | None = None
    company: str | None = None
    title: str | None = None
    language: str | None = None
    timezone: str | None = None
    owner: str | None = None
    source: str | None = None
    country: str | None = None  # ISO 3166 alpha-2: the time zone (and public holidays) when none is given


@dataclass(slots=True)
class ImportReport:
    added: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    reopened: int = 0  # known addresses whose conversation ended before the cool-down: new again


def normalize_email(address: str) -> str:
    value = (address or "").strip()
    if not _ADDRESS.match(value):
        raise LeadError(f"not a valid email address: {address!r}")
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}".lower()


def validate(data: LeadInput) -> LeadInput:
    email = normalize_email(data.email)
    values: dict[str, Any] = {"email": email}
    for name in CSV_FIELDS[1:]:
        value = getattr(data, name)
        value = value.strip() if isinstance(value, str) else value
        if value and len(value) > MAX_FIELD:
            raise LeadError(f"{name} is longer than {MAX_FIELD} characters")
        if value and any(c in value for c in "\r\n\0"):
            raise LeadError(f"{name} contains a line break or NUL")
        values[name] = value or None
    if values["country"]:
        country = values["country"].upper()
        if len(country) != 2 or not country.isascii() or not country.isalpha():
            raise LeadError(f"country must be an ISO 3166 alpha-2 code such as DE, not {values['country']!r}")
        values["country"] = country
    if values["timezone"]:
        try:
            values["timezone"] = check_zone(values["timezone"])
        except ValueError as exc:
            raise LeadError(f"timezone: {exc}") from None
    return LeadInput(**values)


def _row(agent_id: int, data: LeadInput, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    return {"agent_id": agent_id, "token": secrets.token_hex(8), "email": data.email, "name": data.name,
            "company": data.company, "title": data.title, "language": data.language, "timezone": data.timezone,
            "owner": data.owner, "source": data.source, "country": data.country, "status": LeadStatus.NEW.value, "bant": {},
            "followups_sent": 0, "created_at": now, "updated_at": now}


async def add_lead(sessionmaker: async_sessionmaker[AsyncSession], agent_id: int, data: LeadInput, *,
                   cooldown_days: int = DEFAULT_COOLDOWN_DAYS, now: datetime | None = None) -> int:
    """A new lead; or, for an address whose conversation ended more than ``cooldown_days`` ago, that lead re-opened."""
    data = validate(data)
    now = now or utcnow()
    async with sessionmaker() as session, session.begin():
        existing = await session.scalar(select(Lead).where(Lead.agent_id == agent_id, Lead.email == data.email))
        if existing is not None:
            refusal = recontact_refusal(existing, cooldown_days, now)
            if refusal:
                raise LeadError(refusal)
        refused = await consent_refusals(session, agent_id, [data.email])
        if refused:
            raise LeadError(refused[data.email])
        if existing is not None:
            reopen(existing, data, now)
            return existing.id
        result = await session.execute(insert(Lead).returning(Lead.id), [_row(agent_id, data, now)])
        return result.scalar_one()


def recontact_refusal(lead: Lead, cooldown_days: int, now: datetime, *, name_id: bool = True) -> str | None:
    """Why ``lead``'s address cannot be added again now (an active conversation, or the cool-down); None: re-open it."""
    if LeadStatus(lead.status) not in FINISHED:
        return f"{lead.email} is already lead {lead.id} of this agent" if name_id else \
            f"{lead.email} is already a lead of this agent"
    ended = lead.finished_at or lead.updated_at
    until = ended + timedelta(days=cooldown_days)
    if until > now:
        return (f"{lead.email} finished a conversation on {ended:%Y-%m-%d} (lead {lead.id}, {lead.status}); "
                f"it can be contacted again from {until:%Y-%m-%d}")
    return None


def reopen(lead: Lead, data: LeadInput, now: datetime) -> None:
    """A new conversation with a known address: the lead row starts over (same id and thread token)."""
    for name in CSV_FIELDS[1:]:
        value = getattr(data, name)
        if value is not None:
            setattr(lead, name, value)
    lead.status, lead.bant, lead.followups_sent = LeadStatus.NEW, {}, 0
    lead.next_action_at = lead.paused_from = lead.finished_at = lead.readiness = None
    lead.bounce_score, lead.bounce_scored_at = 0.0, None
    lead.attention = None
    lead.updated_at = now


async def consent_refusals(session: AsyncSession, agent_id: int, emails: list[str]) -> dict[str, str]:
    """email -> why it must not become a lead of this agent: erased (GDPR), or suppressed now. Batched queries."""
    refused: dict[str, str] = {}
    for start in range(0, len(emails), CHUNK):
        chunk = emails[start:start + CHUNK]
        by_hash = {consent.address_hash(e): e for e in chunk}
        erased = await session.execute(
            select(ConsentEvent.address_hash, func.max(ConsentEvent.created_at))
            .where(ConsentEvent.address_hash.in_(by_hash), ConsentEvent.source == consent.Source.ERASURE)
            .group_by(ConsentEvent.address_hash))
        for digest, when in erased.all():
            refused[by_hash[digest]] = (f"{by_hash[digest]} was erased on {when:%Y-%m-%d} (GDPR); "
                                        "it stays suppressed and cannot be imported again")
        rest = [e for e in chunk if e not in refused]
        for email, (why, since) in (await consent.suppressed_since(session, rest, agent_id)).items():
            refused[email] = f"{email} {why} on {since:%Y-%m-%d}: not imported"
    return refused


def read_csv(text: str) -> Iterator[tuple[int, dict[str, str] | None, str | None]]:
    """(line number, row, error) for each data row of a CSV with a header line."""
    reader = csv.DictReader(io.StringIO(text))
    headers = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "email" not in headers:
        yield 1, None, "the header line has no 'email' column"
        return
    unknown = sorted(set(headers) - set(CSV_FIELDS))
    reader.fieldnames = headers
    for row in reader:
        line = reader.line_num
        if None in row:
            yield line, None, "more fields than the header names"
            continue
        if unknown:
            for name in unknown:
                row.pop(name, None)
        yield line, {k: (v or "") for k, v in row.items()}, None


async def import_leads(
    sessionmaker: async_sessionmaker[AsyncSession], agent_id: int, rows: Iterable[tuple[int, dict[str, str] | None, str | None]],
    progress: Any = None, *, cooldown_days: int = DEFAULT_COOLDOWN_DAYS, now: datetime | None = None,
) -> ImportReport:
    report = ImportReport()
    valid: list[tuple[int, LeadInput]] = []
    seen: dict[str, int] = {}
    for line, row, error in rows:
        if error or row is None:
            report.rejected.append((line, error or "unreadable row"))
            continue
        try:
            data = validate(LeadInput(**{k: row.get(k) for k in CSV_FIELDS}))
        except (LeadError, TypeError) as exc:
            report.rejected.append((line, str(exc)))
            continue
        if data.email in seen:
            report.rejected.append((line, f"{data.email} repeats line {seen[data.email]}"))
            continue
        seen[data.email] = line
        valid.append((line, data))
    now = now or utcnow()
    async with sessionmaker() as session, session.begin():
        existing: dict[str, Lead] = {}
        emails = [d.email for _, d in valid]
        for start in range(0, len(emails), CHUNK):
            existing.update((lead.email, lead) for lead in await session.scalars(
                select(Lead).where(Lead.agent_id == agent_id, Lead.email.in_(emails[start:start + CHUNK]))))
        refusals = {e: recontact_refusal(lead, cooldown_days, now, name_id=False) for e, lead in existing.items()}
        refused = await consent_refusals(session, agent_id, [e for e in emails if not refusals.get(e)])
        batch: list[dict[str, Any]] = []
        for line, data in valid:
            if refusals.get(data.email):
                report.rejected.append((line, refusals[data.email] or ""))
            elif data.email in refused:
                report.rejected.append((line, refused[data.email]))
            elif data.email in existing:
                reopen(existing[data.email], data, now)
                report.reopened += 1
            else:
                batch.append(_row(agent_id, data, now))
            if progress is not None:
                progress(1)
        for start in range(0, len(batch), CHUNK):
            await session.execute(insert(Lead), batch[start:start + CHUNK])
        report.added = len(batch)
    report.rejected.sort()
    return report


async def queue_first_mails(sessionmaker: async_sessionmaker[AsyncSession], agent: AgentRuntime, limit: int = 100, *,
                            writer: Any = None, now: datetime | None = None) -> list[int]:
    """`sqa leads contact`: intake once, whatever ``intake.auto`` says (rules, address check, first mail).

    The ids of the leads whose first mail was queued (or awaits approval: research mode, guardrail findings).
    """
    from sqa.agents.outreach import OutreachWriter
    from sqa.outreach.intake import Intake

    stats = await Intake(sessionmaker, writer or OutreachWriter()).run(agent, now or agent.clock.now(), limit)
    return stats.queued


@dataclass(frozen=True, slots=True)
class LeadDetail:
    lead: Lead
    messages: list[Message]
    runs: list[AgentRun]
    outbox: list[Outbox]


async def lead_detail(sessionmaker: async_sessionmaker[AsyncSession], lead_id: int) -> LeadDetail | None:
    async with sessionmaker() as session:
        lead = await session.get(Lead, lead_id)
        if lead is None:
            return None
        messages = list(await session.scalars(select(Message).where(Message.lead_id == lead_id).order_by(Message.id)))
        runs = list(await session.scalars(select(AgentRun).where(AgentRun.lead_id == lead_id).order_by(AgentRun.id)))
        outbox = list(await session.scalars(select(Outbox).where(Outbox.lead_id == lead_id).order_by(Outbox.id)))
        return LeadDetail(lead, messages, runs, outbox)


async def list_leads(sessionmaker: async_sessionmaker[AsyncSession], agent_id: int | None = None,
                     status: str | None = None, limit: int = 1000) -> list[Lead]:
    query = select(Lead).order_by(Lead.id).limit(limit)
    if agent_id is not None:
        query = query.where(Lead.agent_id == agent_id)
    if status:
        query = query.where(Lead.status == status)
    async with sessionmaker() as session:
        return list(await session.scalars(query))


async def count_by_status(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessionmaker() as session:
        return dict((await session.execute(select(Lead.status, func.count()).group_by(Lead.status))).all())


async def count_by_agent_status(sessionmaker: async_sessionmaker[AsyncSession],
                                agent_id: int | None = None) -> dict[int, dict[str, int]]:
    """agent id -> status -> number of leads (`sqa leads list --summary`)."""
    query = select(Lead.agent_id, Lead.status, func.count()).group_by(Lead.agent_id, Lead.status)
    if agent_id is not None:
        query = query.where(Lead.agent_id == agent_id)
    out: dict[int, dict[str, int]] = {}
    async with sessionmaker() as session:
        for agent, status, n in (await session.execute(query)).all():
            out.setdefault(agent, {})[status] = n
    return out
