"""SQLAlchemy 2 models: one schema for SQLite and PostgreSQL (see ARCHITECTURE.md)."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sqa.db.crypto import EncryptedBytes, EncryptedJSON, EncryptedText

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware on both backends (SQLite stores naive text; we re-attach UTC).

    A TypeDecorator, not a DateTime subclass: a dialect replaces a DateTime
    subclass by its own DATETIME type, and an override of result_processor is lost.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: ANN001, ANN201
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):  # noqa: ANN001, ANN201
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class LeadStatus(StrEnum):
    NEW = "new"
    VALIDATED = "validated"
    RESEARCHED = "researched"
    CONTACTED = "contacted"
    ENGAGED = "engaged"
    QUALIFYING = "qualifying"
    PAUSED = "paused"
    HANDED_OVER = "handed_over"
    DISQUALIFIED = "disqualified"
    OPTED_OUT = "opted_out"
    BOUNCED = "bounced"
    UNRESPONSIVE = "unresponsive"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class OutboxStatus(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # permanent: the server's reply is kept
    UNKNOWN = "unknown"  # the server may have taken it: never resent blindly
    CANCELLED = "cancelled"


class Priority:
    REPLY = 0
    FIRST = 1
    FOLLOW_UP = 2


class OutboxKind(StrEnum):
    """What a queued mail is: the sending policy (windows, caps, jitter) treats cold mail differently."""

    REPLY = "reply"  # an answer to a lead's mail
    FIRST = "first"  # the outreach agent's first mail
    FOLLOW_UP = "follow_up"  # a follow-up of the cadence (or the check-in after a pause)
    NOTICE = "notice"  # to a seller (handoff notice): not lead mail


class Agent(Base):
    __tablename__ = "agents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    address: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(32))
    persona: Mapped[str | None] = mapped_column(Text)
    tcp: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Lead(Base):
    __tablename__ = "leads"
    __table_args__ = (
        UniqueConstraint("agent_id", "email", name="uq_leads_agent_email"),
        Index("ix_leads_email", "email"),
        Index("ix_leads_status_next", "status", "next_action_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    token: Mapped[str] = mapped_column(String(32), unique=True)  # per-lead thread token
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(64))
    owner: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))  # ISO 3166 alpha-2: the time zone when none is given
    status: Mapped[str] = mapped_column(String(32), default=LeadStatus.NEW)
    paused_from: Mapped[str | None] = mapped_column(String(32))  # the status a pause resumes to
    finished_at: Mapped[datetime | None]  # when the conversation ended (re-contact cool-down)
    fit_score: Mapped[float | None]
    readiness: Mapped[str | None] = mapped_column(String(16))
    bant: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("leads.bant"), default=dict)  # evidence quotes the lead
    next_action_at: Mapped[datetime | None]
    followups_sent: Mapped[int] = mapped_column(default=0)
    bounce_score: Mapped[float] = mapped_column(default=0.0, server_default="0")
    bounce_scored_at: Mapped[datetime | None]  # soft bounces count at most once a day
    attention: Mapped[str | None] = mapped_column(Text)  # why a human should look at this lead
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Message(Base):
    """One row per inbound or outbound mail. Text is minimal, encrypted when a key is set (db/crypto.py)
    and purged after retention (retention.py); the subject is encrypted but kept (follow-ups thread on it)."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("agent_id", "mailbox", "uidvalidity", "uid", name="uq_messages_uid"),
        Index("ix_messages_lead", "lead_id", "created_at"),
        Index("ix_messages_created", "created_at"),  # the retention purge
        Index("ix_messages_agent_kind", "agent_id", "kind", "created_at"),  # bounce and complaint rates
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    direction: Mapped[str] = mapped_column(String(3))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    mailbox: Mapped[str | None] = mapped_column(String(200))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)  # why this kind / why quarantined
    rules: Mapped[list[Any] | None] = mapped_column(JSON)  # rule hits and misses
    from_addr: Mapped[str | None] = mapped_column(String(320))
    to_addr: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(EncryptedText("messages.subject"))
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(EncryptedText("messages.text"))  # NULL once purged
    content_hash: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None]  # the message's Date header
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Outbox(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "priority", "next_attempt_at"),
                      Index("ix_outbox_agent_sent", "agent_id", "sent_at"),
                      Index("ix_outbox_created", "created_at"))  # the retention purge
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(998), unique=True)  # final, before any send
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    reply_to_message_id: Mapped[str | None] = mapped_column(String(998))  # inbound it answers
    to_addr: Mapped[str] = mapped_column(String(320))
    # the exact bytes that will be sent (encrypted when a key is set); NULL once purged after retention (sent/failed/cancelled)
    raw: Mapped[bytes] = mapped_column(EncryptedBytes("outbox.raw"), nullable=True)
    priority: Mapped[int] = mapped_column(default=Priority.REPLY)
    kind: Mapped[str] = mapped_column(String(16), default=OutboxKind.REPLY, server_default="reply")
    tz: Mapped[str | None] = mapped_column(String(64))  # the recipient's IANA zone (sending window), resolved at queue time
    status: Mapped[str] = mapped_column(String(32), default=OutboxStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None]
    last_reply: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    sent_copy: Mapped[str | None] = mapped_column(String(16))  # pending | saved | skipped | failed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgentRun(Base):
    __tablename__ = "agent_runs"
    __table_args__ = (Index("ix_agent_runs_lead", "lead_id", "created_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    message_id: Mapped[str | None] = mapped_column(String(998))
    step: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    engine: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(200))
    tokens_in: Mapped[int | None]
    tokens_out: Mapped[int | None]
    latency_ms: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsentEvent(Base):
    """Append-only opt-out / opt-in log, keyed by a hash of the address.

    The plain address lives only in consent_addresses, which an erasure may
    delete; these rows are never updated or deleted.
    """

    __tablename__ = "consent_events"
    __table_args__ = (Index("ix_consent_hash", "address_hash", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address_hash: Mapped[str] = mapped_column(String(64))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    scope: Mapped[str] = mapped_column(String(16))  # agent | all
    action: Mapped[str] = mapped_column(String(16))  # opt_out | opt_in
    source: Mapped[str] = mapped_column(String(32))
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    actor: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsentAddress(Base):
    """address_hash -> address, for showing the log to people; deleted by an erasure."""

    __tablename__ = "consent_addresses"
    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[str] = mapped_column(String(320))


class MailboxState(Base):
    __tablename__ = "mailbox_state"
    __table_args__ = (UniqueConstraint("agent_id", "mailbox", name="uq_mailbox_state_agent_mailbox"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    mailbox: Mapped[str] = mapped_column(String(200))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    highestmodseq: Mapped[int | None] = mapped_column(BigInteger)
    watch_since: Mapped[datetime] = mapped_column(default=utcnow)  # "from now on" start
    last_fetch_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))  # seller | supervisor | admin
    token_hash: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Event(Base):
    """A handoff/disqualified/escalated event, written in the batch transaction; delivered after commit.

    The publisher service (handoff/publisher.py) sends pending rows to MQTT and the webhook and stamps
    each channel's *_sent_at; a row survives restarts until every configured channel has it.
    Deleted with its lead (an erasure).
    """

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_due", "next_attempt_at"), Index("ix_events_agent_assigned", "agent_id", "assigned_by"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # handoff | disqualified | escalated
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("events.payload"))  # the summary, BANT evidence
    assigned_by: Mapped[str | None] = mapped_column(String(16))  # owner | round_robin | None
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)  # None: nothing left to deliver
    mqtt_sent_at: Mapped[datetime | None]
    webhook_sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class OAuthToken(Base):
    """An agent's OAuth2 tokens per provider (XOAUTH2 for IMAP/SMTP); the refresh token is replaced on every refresh.

    Both tokens are encrypted when a key is set; db/oauth_store.py reads and writes them.
    """

    __tablename__ = "oauth_tokens"
    __table_args__ = (UniqueConstraint("agent_id", "provider", name="uq_oauth_tokens_agent_provider"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(64))  # e.g. "microsoft", "google", or the token endpoint's host
    refresh_token: Mapped[str | None] = mapped_column(EncryptedText("oauth_tokens.refresh_token"))
    access_token: Mapped[str | None] = mapped_column(EncryptedText("oauth_tokens.access_token"))
    expires_at: Mapped[datetime | None]  # of the access token
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
