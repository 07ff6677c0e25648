"""Opt-outs racing the sender: is any mail accepted for an address after its opt-out committed?

1,000 leads (``--quick``: 100), each with follow-ups queued and due; the daemon
(``sqa run`` as a subprocess, web routes on) starts draining them into a private
SMTP sink, and at random moments during the drain a third of the leads opt out, each time
one of the next leads in the sender's line (its mail claimed or about to be: the
moment a late send would happen):
by the one-click POST of their List-Unsubscribe URL, by mail to the
List-Unsubscribe mailto, or by replying "please remove me" (both delivered
into the private Dovecot and pushed over IDLE). Every opt-out's URL and mailto
are the ones in the lead's queued mail.

Reported (last line of stdout, JSON):
- ``optouts``: opt-outs committed (one per lead that asked)
- ``sent_after_optout``: mails the sink accepted for an address after its opt-out
  committed (the commit time is the opt-out event's time, written in the committing
  transaction; acceptance is the sink's clock at its 250 reply). Goal: 0.
- ``optout_commit_p50_s`` / ``optout_commit_p99_s``: request (POST sent / mail
  delivered) -> suppression committed, over all channels; per channel too.
- ``http_floor_p50_s``: GET /livez round trip in the same run (the baseline of the
  POST path) and ``post_ratio`` = POST commit p50 / that floor.
- mails sent and cancelled, duration, the daemon's peak RSS, the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, make_msgid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (  # noqa: E402
    AGENT_DOMAIN, LEAD_DOMAIN, Daemon, agent_config, create_contacted_leads, db_query, emit, load, log, machine,
    percentile, remove_state, settings_dict, start_servers, state_dir, write_config,
)

FOLLOW_UPS = 3  # queued mails per lead
SHARE = 1 / 3  # of the leads opt out


async def _queue_follow_ups(settings, leads) -> dict[int, tuple[str, str]]:  # noqa: ANN001
    """Queue FOLLOW_UPS due mails per lead, rendered as the daemon renders them; lead id -> (url, mailto)."""
    from sqlalchemy import insert

    from sqa.daemon.app import build_app
    from sqa.db.models import Direction, Message, Outbox, OutboxStatus, Priority, utcnow
    from sqa.mailbox.compose import Draft, new_message_id

    app = await build_app(settings, services=False)
    links: dict[int, tuple[str, str]] = {}
    try:
        agent = app.runtimes[0]
        s = agent.settings
        now = utcnow()
        messages, outbox = [], []
        for lead in leads:
            unsubscribe = agent.unsubscribe(lead.id)
            links[lead.id] = (unsubscribe.url, unsubscribe.mailto)
            for n in range(FOLLOW_UPS):
                mid = new_message_id(s.domain, None)
                body = f"Hello {lead.name.split()[0]},\n\njust following up ({n + 1}) on my note.\n\n{s.display_name}\n"
                raw = agent.render(Draft(from_name=s.display_name, from_addr=s.address, to_name=lead.name,
                                         to_addr=lead.email, subject=f"Re: {lead.subject}", body=body, message_id=mid,
                                         loop_marker=agent.loop_marker, in_reply_to=lead.first_message_id,
                                         references=lead.first_message_id, unsubscribe=unsubscribe))
                messages.append({"message_id": mid, "direction": Direction.OUT.value, "agent_id": agent.id,
                                 "lead_id": lead.id, "kind": "follow_up", "from_addr": s.address, "to_addr": lead.email,
                                 "subject": f"Re: {lead.subject}", "text": body, "created_at": now})
                outbox.append({"message_id": mid, "agent_id": agent.id, "lead_id": lead.id, "to_addr": lead.email,
                               "raw": raw, "priority": Priority.FOLLOW_UP, "status": OutboxStatus.QUEUED.value,
                               "attempts": 0, "next_attempt_at": now, "deadline_at": now + timedelta(hours=2),
                               "created_at": now})
        async with app.sessionmaker() as session, session.begin():
            for start in range(0, len(messages), 500):
                await session.execute(insert(Message), messages[start:start + 500])
                await session.execute(insert(Outbox), outbox[start:start + 500])
    finally:
        await app.close()
    return links


async def _http(port: int, method: str, path: str, body: bytes = b"") -> int:
    """One HTTP/1.1 request on a fresh connection; the status code."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
                f"Content-Length: {len(body)}\r\n")
        if body:
            head += "Content-Type: application/x-www-form-urlencoded\r\n"
        writer.write(head.encode() + b"\r\n" + body)
        await writer.drain()
        status = await reader.readline()
        await reader.read()
        return int(status.split()[1])
    finally:
        writer.close()


def _mail(sender: str, to: str, subject: str, body: str, in_reply_to: str | None = None) -> bytes:
    head = (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {format_datetime(datetime.now(timezone.utc))}\r\n"
            f"Message-ID: {make_msgid(domain=LEAD_DOMAIN)}\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n")
    if in_reply_to:
        head += f"In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\n"
    return (head + "\r\n" + body.replace("\n", "\r\n") + "\r\n").encode()


def _epoch(stamp: str) -> float:
    """A created_at as SQLite stores it (naive UTC text) -> Unix time."""
    return datetime.fromisoformat(stamp).replace(tzinfo=timezone.utc).timestamp()


async def run(args: argparse.Namespace) -> dict:
    from sqa.sandbox.ports import free_port

    leads_n = 100 if args.quick else 1000
    rng = random.Random(args.seed)
    started = time.monotonic()
    dovecot, sink = await start_servers()
    state = state_dir("sqa-bench-consent-")
    daemon: Daemon | None = None
    try:
        name = f"race{secrets.token_hex(4)}"
        address = f"{name}@{AGENT_DOMAIN}"
        port = free_port()
        data = settings_dict(state, [agent_config(name, dovecot, sink, smtp={"connections": 4})], instance="race")
        data["web"] = {"enabled": True, "bind": f"127.0.0.1:{port}", "rate_limit_per_minute": 1_000_000}
        data["consent"] = {"public_base_url": f"http://127.0.0.1:{port}"}
        settings = load(data)
        leads = await create_contacted_leads(settings, leads_n)
        links = await _queue_follow_ups(settings, leads)
        queued = len(leads) * FOLLOW_UPS
        channels = ["post", "mailto", "reply"]
        wanted = int(len(leads) * SHARE)
        log(f"{len(leads)} leads, {queued} mails queued, {wanted} opt-outs to come")

        daemon = Daemon(write_config(state / "sqa.toml", data), state / "daemon.log")
        daemon.start()
        await daemon.wait_log("watching", timeout=60)
        floor = []
        for _ in range(20):
            t0 = time.perf_counter()
            assert await _http(port, "GET", "/livez") == 200
            floor.append(time.perf_counter() - t0)
        # the sender is draining now: spread the opt-outs over the expected drain time
        first_seen = time.monotonic()
        while not sink.messages and time.monotonic() - first_seen < 30:
            await asyncio.sleep(0.005)
        window = 0.5 if args.quick else 3.0
        requested: dict[str, float] = {}
        post_status: dict[str, int] = {}

        index = {lead.email: i for i, lead in enumerate(leads)}
        taken: set[int] = set()
        plan: list[tuple] = []

        def next_in_line() -> object:
            """A lead whose mail the sender is about to send (claimed, or next to be): the hardest moment."""
            last = index.get(sink.messages[-1].rcpt_tos[0].lower(), 0) if sink.messages else 0
            for i in [*range(last + 1, min(len(leads), last + 6)), *rng.sample(range(len(leads)), len(leads))]:
                if i not in taken:
                    taken.add(i)
                    return leads[i]
            raise RuntimeError("no lead left")

        async def opt_out(n: int) -> None:
            await asyncio.sleep(rng.uniform(0, window))
            channel = channels[n % 3]
            lead = next_in_line()
            plan.append((lead, channel))
            url, mailto = links[lead.id]
            requested[lead.email] = time.time()
            if channel == "post":
                post_status[lead.email] = await _http(port, "POST", url.split(str(port), 1)[1],
                                                      b"List-Unsubscribe=One-Click")
            elif channel == "mailto":
                raw = _mail(f"{lead.name} <{lead.email}>", mailto, "unsubscribe", "")
                await asyncio.to_thread(dovecot.lmtp_deliver, address, raw)
            else:
                raw = _mail(f"{lead.name} <{lead.email}>", address, f"Re: {lead.subject}",
                            "Please remove me from your mailing list.", lead.first_message_id)
                await asyncio.to_thread(dovecot.lmtp_deliver, address, raw)

        await asyncio.gather(*(opt_out(n) for n in range(wanted)))
        log(f"all {len(plan)} opt-outs submitted; {len(sink.messages)} mails at the sink")
        deadline = time.monotonic() + (60 if args.quick else 180)
        while time.monotonic() < deadline:
            busy = db_query(state, "select count(*) from outbox where status in ('queued', 'sending')")[0][0]
            events = db_query(state, "select count(distinct address_hash) from consent_events where action = 'opt_out'")[0][0]
            if busy == 0 and events >= len(plan):
                break
            await asyncio.sleep(0.2)
        peak_rss_kb = daemon.status_kb("VmHWM")
        code = await daemon.terminate()
        log(f"daemon stopped with exit code {code}")

        rows = db_query(state, "select a.address, min(e.created_at) from consent_events e join consent_addresses a "
                               "on a.address_hash = e.address_hash where e.action = 'opt_out' group by a.address")
        committed = {addr: _epoch(stamp) for addr, stamp in rows}
        accepted: dict[str, list[float]] = defaultdict(list)
        for mail in sink.messages:
            for rcpt in mail.rcpt_tos:
                accepted[rcpt.lower()].append(mail.received_wall)
        late = [(a, t - committed[a]) for a in committed for t in accepted.get(a, []) if t > committed[a]]
        by_channel: dict[str, list[float]] = defaultdict(list)
        for lead, channel in plan:
            if lead.email in committed and lead.email in requested:
                by_channel[channel].append(max(0.0, committed[lead.email] - requested[lead.email]))
        waits = [w for ws in by_channel.values() for w in ws]
        statuses = dict(db_query(state, "select status, count(*) from outbox group by status"))
        post_p50 = percentile(by_channel["post"], 50)
        floor_p50 = percentile(floor, 50)
        result = {
            "benchmark": "consent_race",
            "quick": bool(args.quick),
            "leads": len(leads),
            "mails_queued": queued,
            "optouts": len(committed),
            "optouts_planned": len(plan),
            "sent_after_optout": len(late),
            "optout_commit_p50_s": round(percentile(waits, 50), 4),
            "optout_commit_p99_s": round(percentile(waits, 99), 4),
            **{f"{ch}_commit_p50_s": round(percentile(v, 50), 4) for ch, v in sorted(by_channel.items())},
            **{f"{ch}_commit_p99_s": round(percentile(v, 99), 4) for ch, v in sorted(by_channel.items())},
            "http_floor_p50_s": round(floor_p50, 5),
            "post_ratio": round(post_p50 / floor_p50, 2) if floor_p50 else None,
            "post_non_200": sum(1 for s in post_status.values() if s != 200),
            "mails_sent": statuses.get("sent", 0),
            "mails_cancelled": statuses.get("cancelled", 0),
            "mails_other": {k: v for k, v in statuses.items() if k not in ("sent", "cancelled")},
            "late_examples": [[a, round(d, 4)] for a, d in late[:5]],
            "peak_rss_mb": round((peak_rss_kb or 0) / 1024, 1),
            "daemon_exit": code,
            "duration_s": round(time.monotonic() - started, 1),
            "machine": machine(),
        }
        return result
    finally:
        if daemon is not None and daemon.alive():
            daemon.kill()
        await sink.stop()
        await asyncio.to_thread(dovecot.close)
        remove_state(state)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line (always the last line)")
    parser.add_argument("--quick", action="store_true", help="100 leads instead of 1,000")
    parser.add_argument("--seed", type=int, default=8058)
    args = parser.parse_args()
    emit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
