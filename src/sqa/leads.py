"""Lead records: add, import, list, show. Used by the CLI, the demo and the tests."""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sqa.agents.engage import LeadView, fill, wrap_body
from sqa.agents.engines.base import ConversationState
from sqa.consent import store as consent
from sqa.db.models import AgentRun, ConsentEvent, Direction, Lead, LeadStatus, Message, Outbox, OutboxStatus, Priority, utcnow
from sqa.mailbox.compose import Draft, new_message_id
from sqa.runtime import AgentRuntime

_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
CSV_FIELDS = ("email", "name", "company", "title", "language", "timezone", "owner", "source")
MAX_FIELD = 200
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


@dataclass(slots=True)
class ImportReport:
    added: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


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
    return LeadInput(**values)


def _row(agent_id: int, data: LeadInput) -> dict[str, Any]:
    now = utcnow()
    return {"agent_id": agent_id, "token": secrets.token_hex(8), "email": data.email, "name": data.name,
            "company": data.company, "title": data.title, "language": data.language, "timezone": data.timezone,
            "owner": data.owner, "source": data.source, "status": LeadStatus.NEW.value, "bant": {},
            "followups_sent": 0, "created_at": now, "updated_at": now}


async def add_lead(sessionmaker: async_sessionmaker[AsyncSession], agent_id: int, data: LeadInput) -> int:
    data = validate(data)
    async with sessionmaker() as session, session.begin():
        exists = await session.scalar(select(Lead.id).where(Lead.agent_id == agent_id, Lead.email == data.email))
        if exists is not None:
            raise LeadError(f"{data.email} is already lead {exists} of this agent")
        refused = await consent_refusals(session, agent_id, [data.email])
        if refused:
            raise LeadError(refused[data.email])
        result = await session.execute(insert(Lead).returning(Lead.id), [_row(agent_id, data)])
        return result.scalar_one()


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
    progress: Any = None,
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
    async with sessionmaker() as session, session.begin():
        existing = set()
        emails = [d.email for _, d in valid]
        for start in range(0, len(emails), CHUNK):
            existing |= set(await session.scalars(
                select(Lead.email).where(Lead.agent_id == agent_id, Lead.email.in_(emails[start:start + CHUNK]))))
        refused = await consent_refusals(session, agent_id, [e for e in emails if e not in existing])
        batch: list[dict[str, Any]] = []
        for line, data in valid:
            if data.email in existing:
                report.rejected.append((line, f"{data.email} is already a lead of this agent"))
            elif data.email in refused:
                report.rejected.append((line, refused[data.email]))
            else:
                batch.append(_row(agent_id, data))
            if progress is not None:
                progress(1)
        for start in range(0, len(batch), CHUNK):
            await session.execute(insert(Lead), batch[start:start + CHUNK])
        report.added = len(batch)
    report.rejected.sort()
    return report


async def queue_first_mails(sessionmaker: async_sessionmaker[AsyncSession], agent: AgentRuntime, limit: int = 100) -> list[int]:
    """Minimal outreach: queue the first mail of every `new` lead; they become `contacted`."""
    s = agent.settings
    queued: list[int] = []
    async with sessionmaker() as session, session.begin():
        leads = list(await session.scalars(
            select(Lead).where(Lead.agent_id == agent.id, Lead.status == LeadStatus.NEW).order_by(Lead.id).limit(limit)))
        now = utcnow()
        for lead in leads:
            view = LeadView(lead.name, lead.company, lead.title, lead.language, ConversationState())
            subject = fill(s.templates.first_subject, s, view)
            body = wrap_body(s, view, fill(s.templates.first_body, s, view))
            message_id = new_message_id(s.domain, lead.token)
            raw = agent.render(Draft(from_name=s.display_name, from_addr=s.address, to_name=lead.name, to_addr=lead.email,
                               subject=subject, body=body, message_id=message_id, loop_marker=agent.loop_marker,
                               unsubscribe=agent.unsubscribe(lead.id)))
            session.add(Message(message_id=message_id, direction=Direction.OUT, agent_id=agent.id, lead_id=lead.id,
                                kind="first", from_addr=s.address, to_addr=lead.email, subject=subject, text=body))
            session.add(Outbox(message_id=message_id, agent_id=agent.id, lead_id=lead.id, to_addr=lead.email, raw=raw,
                               priority=Priority.FIRST, status=OutboxStatus.QUEUED, next_attempt_at=now,
                               deadline_at=now + timedelta(seconds=s.smtp.retry_deadline_s)))
            session.add(AgentRun(agent_id=agent.id, lead_id=lead.id, message_id=message_id, step="outreach",
                                 decision="queued", detail={"subject": subject}))
            lead.status = LeadStatus.CONTACTED
            lead.next_action_at = None
            queued.append(lead.id)
    return queued


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
