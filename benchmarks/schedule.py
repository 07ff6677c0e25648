"""Follow-ups at scale: the scheduler's tick and the sending policy, over simulated days.

100,000 leads (``--quick``: 5,000) spread over 4 mailboxes (``--quick``: 2), all
contacted, each with a follow-up falling due at a random moment of the simulated
span (3 days from Tuesday 2026-11-24 00:00 UTC, ``--quick``: 1), in 16 time
zones (given by the lead, by its country, by its address's ccTLD, or none: the
agent's), including US leads on Thanksgiving (their public holiday). The daemon's
own Scheduler and Senders run against SQLite and a private SMTP sink, on a
ManualClock moved one step (60 s, ``--quick``: 120 s) at a time: each step is
one scheduler tick, then every sender drains what the policy lets go now.

Reported (last line of stdout, JSON):
- ``scheduler_tick_ms_p50`` / ``scheduler_tick_ms_p99`` / ``scheduler_tick_ms_max``:
  wall time of a tick (find the due leads AND queue their follow-ups; goal p99 <= 500);
  ``baseline_query_ms_p99``: the bare indexed query for due leads at the same
  steps, and ``tick_ratio`` = tick p99 / baseline p99;
- ``due_to_queued_s_p50`` / ``due_to_queued_s_p99``: a follow-up's due time -> its
  outbox row (simulated time waited for the next tick + the tick's own wall time);
- ``violations``: sends that broke a window (weekday, hours, holidays in the
  recipient's zone) or a cap (daily with warm-up, any 60 s, per domain per day),
  checked independently of the daemon's calendar (benchmarks/_policy_check.py). Goal 0;
- rates: follow-ups queued, mails sent, sent per simulated second of wall time;
  peak RSS; the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import secrets
import sys
import time
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select  # noqa: E402

from benchmarks._common import emit, load, log, machine, percentile, remove_state, state_dir  # noqa: E402
from benchmarks._policy_check import SentRow, cap_violations, window_violation  # noqa: E402

START = datetime(2026, 11, 24, tzinfo=timezone.utc)  # a Tuesday; Thursday the 26th is Thanksgiving (US)
# (lead timezone, lead country, address TLD): the zone comes from the first that names one
PLACES = [
    ("America/New_York", "US", "com"), ("America/Chicago", "US", "com"), ("America/Los_Angeles", "US", "com"),
    ("America/Sao_Paulo", "BR", "com.br"), ("Europe/London", None, "co.uk"), (None, "DE", "com"),
    (None, None, "de"), (None, None, "fr"), (None, "NL", "nl"), (None, "PL", "pl"), ("Europe/Madrid", "ES", "es"),
    ("Asia/Kolkata", "IN", "in"), ("Asia/Tokyo", None, "jp"), ("Asia/Singapore", "SG", "sg"),
    ("Australia/Sydney", "AU", "com.au"), (None, None, "com"),
]
WINDOW = {"start": "09:00", "end": "17:00", "weekdays": [1, 2, 3, 4, 5], "holidays": [], "timezone": "Europe/Berlin"}
CAPS = {"per_day": 400, "per_minute": 10, "per_domain_per_day": 25, "warmup_start": 50, "warmup_step": 50,
        "jitter_s": [20, 90]}


def agent(i: int, sink_port: int) -> dict:
    name = f"sdr{i}"
    login = {"host": "127.0.0.1", "security": "plain", "username": f"{name}@agent.test"}  # the sink asks no AUTH
    caps = dict(CAPS, warmup=i % 2 == 1, warmup_since=START.date().isoformat())  # odd mailboxes are new: ramping up
    return {"name": name, "address": f"{name}@agent.test", "display_name": "Ava Agent", "company": "Acme Analytics",
            "value_proposition": "We cut reporting time in half.", "imap": dict(login, port=1, password="unused"),
            "smtp": dict(login, port=sink_port, save_sent="never", retry_base_s=0.2, retry_max_s=1),
            "outreach": {"intake": {"auto": False}, "window": WINDOW, "caps": caps}}


async def seed(app, leads_per_agent: int, span_s: float, rng: random.Random) -> dict[int, datetime]:  # noqa: ANN001
    """Contacted leads with their first mail on record and a follow-up due in the span; lead id -> due time."""
    from sqa.db.models import Direction, Lead, LeadStatus, Message

    due: dict[int, datetime] = {}
    sent = START - timedelta(days=5)
    async with app.sessionmaker() as session, session.begin():
        for runtime in app.runtimes:
            for start in range(0, leads_per_agent, 1000):
                rows, plans = [], []
                for i in range(start, min(leads_per_agent, start + 1000)):
                    tz, country, tld = PLACES[i % len(PLACES)]
                    when = START + timedelta(seconds=rng.uniform(0, span_s))
                    token = secrets.token_hex(8)
                    rows.append({"agent_id": runtime.id, "token": token, "email": f"lead{i}@c{i % 700}.{tld}",
                                 "name": f"Lee Lead{i}", "company": f"Company {i}", "timezone": tz, "country": country,
                                 "status": LeadStatus.CONTACTED.value, "bant": {}, "followups_sent": rng.randint(0, 2),
                                 "next_action_at": when, "created_at": sent, "updated_at": sent})
                    plans.append(when)
                ids = [r[0] for r in await session.execute(insert(Lead).returning(Lead.id, sort_by_parameter_order=True), rows)]
                await session.execute(insert(Message), [
                    {"message_id": f"<first.{r['token']}@agent.test>", "direction": Direction.OUT.value,
                     "agent_id": runtime.id, "lead_id": lead_id, "kind": "first", "from_addr": runtime.settings.address,
                     "to_addr": r["email"], "subject": f"{r['company']} and Acme Analytics", "text": "Hello",
                     "created_at": sent} for lead_id, r in zip(ids, rows)])
                due.update(zip(ids, plans))
    return due


async def due_query(app, now: datetime) -> float:  # noqa: ANN001
    """The floor of a tick: the indexed query for each agent's due leads (ms)."""
    from sqa.db.models import Lead, LeadStatus
    from sqa.db.session import READ_ONLY

    t = time.perf_counter()
    async with app.sessionmaker(execution_options=READ_ONLY) as session:
        for runtime in app.runtimes:
            await session.execute(select(Lead.id).where(Lead.agent_id == runtime.id, Lead.status == LeadStatus.CONTACTED,
                                                        Lead.next_action_at <= now).limit(200))
    return (time.perf_counter() - t) * 1000


async def check(app) -> tuple[int, list[str], int]:  # noqa: ANN001
    """Violations among the sent cold mails, with a few examples; and how many were checked."""
    from sqa.db.models import Lead, Outbox, OutboxStatus

    problems: list[str] = []
    checked = 0
    async with app.sessionmaker() as session:
        for runtime in app.runtimes:
            result = await session.execute(
                select(Outbox.to_addr, Outbox.tz, Lead.country, Outbox.sent_at)
                .join(Lead, Lead.id == Outbox.lead_id)
                .where(Outbox.agent_id == runtime.id, Outbox.status == OutboxStatus.SENT,
                       Outbox.kind.in_(("first", "follow_up"))))
            rows = [SentRow(runtime.name, to, tz or WINDOW["timezone"], country, at) for to, tz, country, at in result]
            checked += len(rows)
            caps = runtime.settings.outreach.caps
            problems += [f"{runtime.name}: {why}" for r in rows if (why := window_violation(r, WINDOW))]
            problems += [f"{runtime.name}: {why}" for why in cap_violations(
                rows, {**CAPS, "warmup": caps.warmup, "warmup_since": START.date()}, WINDOW["timezone"])]
    return len(problems), problems[:5], checked


async def run(args: argparse.Namespace) -> dict:
    from sqa.clock import ManualClock
    from sqa.daemon.app import build_app
    from sqa.db.models import Outbox, OutboxKind
    from sqa.sandbox import SmtpSink

    rng = random.Random(7)
    leads = args.leads or (5_000 if args.quick else 100_000)
    agents = args.agents or (2 if args.quick else 4)
    days = args.days or (1 if args.quick else 3)
    step = timedelta(seconds=args.step_s or (120 if args.quick else 60))
    span_s = days * 86400.0
    state = state_dir("sqa-bench-schedule-")
    sink = SmtpSink()
    await sink.start()
    clock = ManualClock(START)
    settings = load({"state_dir": str(state), "web": {"enabled": False}, "daemon": {"instance": "bench"},
                     "agents": [agent(i, sink.port) for i in range(agents)]})
    app = await build_app(settings, clock=clock)
    try:
        t0 = time.perf_counter()
        due = await seed(app, leads // agents, span_s, rng)
        log(f"seeded {len(due)} leads in {time.perf_counter() - t0:.1f} s")
        ticks, floors, waits = [], [], []
        last_outbox = 0
        wall = time.perf_counter()
        end = START + timedelta(seconds=span_s)
        queued = 0
        while clock.now() < end:
            now = clock.advance(step)
            floors.append(await due_query(app, now))
            t = time.perf_counter()
            stats = await app.scheduler.tick()
            tick_s = time.perf_counter() - t
            ticks.append(tick_s * 1000)
            if stats.followups:
                async with app.sessionmaker() as session:
                    fresh = (await session.execute(
                        select(Outbox.id, Outbox.lead_id).where(Outbox.id > last_outbox,
                                                                Outbox.kind == OutboxKind.FOLLOW_UP.value))).all()
                for oid, lead_id in fresh:
                    last_outbox = max(last_outbox, oid)
                    if lead_id in due:  # the seeded follow-up (later ones fall due after the span)
                        waits.append((now - due.pop(lead_id)).total_seconds() + tick_s)
                queued += stats.followups
            for a in app.agents:
                await a.sender.drain()
            if len(ticks) % 360 == 0:
                log(f"{now:%a %H:%M} ticks {len(ticks)} queued {queued} sent {len(sink.messages)}")
        wall = time.perf_counter() - wall
        violations, examples, checked = await check(app)
        async with app.sessionmaker() as session:
            by_kind = dict((await session.execute(
                select(Outbox.kind, func.count()).where(Outbox.status == "sent").group_by(Outbox.kind))).all())
        tick_p99, floor_p99 = percentile(ticks, 99), percentile(floors, 99)
        return {
            "leads": len(due) + len(waits), "agents": agents, "simulated_days": days, "step_s": step.total_seconds(),
            "ticks": len(ticks),
            "scheduler_tick_ms_p50": round(percentile(ticks, 50), 2), "scheduler_tick_ms_p99": round(tick_p99, 2),
            "scheduler_tick_ms_max": round(max(ticks), 2), "baseline_query_ms_p99": round(floor_p99, 3),
            "tick_ratio": round(tick_p99 / floor_p99, 1) if floor_p99 else None,
            "due_to_queued_s_p50": round(percentile(waits, 50), 1), "due_to_queued_s_p99": round(percentile(waits, 99), 1),
            "followups_queued": queued, "sent": len(sink.messages), "sent_by_kind": by_kind,
            "checked_sends": checked, "violations": violations, "violation_examples": examples,
            "wall_s": round(wall, 1), "simulated_s_per_wall_s": round(span_s / wall, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "machine": machine(),
        }
    finally:
        await app.close()
        await sink.stop()
        remove_state(state)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line (always the last line)")
    parser.add_argument("--quick", action="store_true", help="5,000 leads, 2 mailboxes, 1 simulated day")
    parser.add_argument("--leads", type=int, default=0)
    parser.add_argument("--agents", type=int, default=0)
    parser.add_argument("--days", type=int, default=0)
    parser.add_argument("--step-s", type=float, default=0)
    result = asyncio.run(run(parser.parse_args()))
    emit(result)


if __name__ == "__main__":
    main()
