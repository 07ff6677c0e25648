#!/usr/bin/env python3
"""Crash benchmark: exactly-once replies while the daemon is SIGKILLed over and over.

The daemon runs as a subprocess (``sqa run --config FILE``) against a private
Dovecot and an SMTP sink in this process's event loop (SQLite, offline
engine). Lead replies arrive in waves (Maildir files: Dovecot pushes them over
IDLE, or the daemon finds a backlog when it starts) while the daemon is
killed with SIGKILL at random moments -- during start-up, while it fetches
and handles mail, and in the middle of sending -- and started again. After the
last restart it finishes its work and is stopped with SIGTERM.

Every reply is counted at the sink by In-Reply-To: ``lost`` = expected
answers never sent, ``duplicates`` = answers beyond the first to the same
inbound message. ``unknown`` = outbox rows whose send was interrupted after
the message data was handed over (held for a human, never resent).

Usage: crash.py --json [--quick]. Progress on stderr; the last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import signal
import sys
import time
from collections import Counter
from email import message_from_bytes
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    AGENT_DOMAIN,
    Daemon,
    agent_config,
    create_contacted_leads,
    db_query,
    db_scalar,
    emit,
    load,
    log,
    machine,
    reply_id,
    remove_state,
    reply_raw,
    settings_dict,
    start_servers,
    state_dir,
    write_config,
)

REPLIES_PER_LEAD = 5  # offline engine: need, timeline, budget, authority, then the closing line
ANSWER_MARKERS = (("need", "What problem"), ("timeline", "By when"), ("budget", "budget"),
                  ("authority", "who else"), ("closing", "pass your answers"))


def _answer_kind(raw: bytes) -> str:
    msg = message_from_bytes(raw)
    payload = msg.get_payload(decode=True) or b""
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
    for kind, marker in ANSWER_MARKERS:
        if marker in text:
            return kind
    return "other"


def _kill_on_answer(sink, pid: int, n: int) -> asyncio.Event:  # noqa: ANN001
    """SIGKILL ``pid`` as the sink records the n-th next message (before its 250 goes out).

    Other connections of the daemon are then mid-transaction: the kill lands
    while mail is being sent, the moment exactly-once is hardest to keep.
    """
    fired = asyncio.Event()
    record = sink._record
    left = [n]

    def counting_record(mail) -> None:  # noqa: ANN001
        record(mail)
        left[0] -= 1
        if left[0] == 0:
            del sink._record  # back to the class method
            os.kill(pid, signal.SIGKILL)
            fired.set()

    sink._record = counting_record
    return fired


async def _until(predicate, timeout: float, step: float = 0.003) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(step)
    return True


async def run(args: argparse.Namespace) -> dict:
    total = 60 if args.quick else 500
    min_kills = 5 if args.quick else 20
    rng = random.Random(args.seed)
    started = time.monotonic()
    dovecot, sink = await start_servers()
    daemon: Daemon | None = None
    state: Path | None = None
    try:
        name = f"crash{secrets.token_hex(4)}"
        state = state_dir("sqa-bench-crash-")
        address = f"{name}@{AGENT_DOMAIN}"
        data = settings_dict(state, [agent_config(name, dovecot, sink)], instance="crash-bench")
        data["daemon"]["grace_s"] = 5
        settings = load(data)
        leads = await create_contacted_leads(settings, total // REPLIES_PER_LEAD)
        replies: list[tuple[str, int, bytes]] = []  # (Message-ID, lead id, raw)
        for turn in range(REPLIES_PER_LEAD):
            for lead in leads:
                mid = reply_id(lead, turn + 1, tag="c")
                replies.append((mid, lead.id, reply_raw(lead, address, turn=turn, message_id=mid,
                                                        parent_id=lead.first_message_id, references=[], rng=rng)))
        expected = {mid for mid, _, _ in replies}
        lead_of = {mid: lid for mid, lid, _ in replies}
        waves = min_kills + 1
        per_wave = -(-len(replies) // waves)
        pending_waves = [replies[i:i + per_wave] for i in range(0, len(replies), per_wave)]
        config = write_config(state / "sqa.toml", data)
        daemon = Daemon(config, state / "daemon.log")
        kills = 0
        modes: Counter[str] = Counter()
        delivered = 0

        def seed_wave() -> None:
            nonlocal delivered
            if pending_waves:
                wave = pending_waves.pop(0)
                dovecot.seed(address, [raw for _, _, raw in wave])
                delivered += len(wave)

        def answered() -> int:
            return len(sink.messages)

        schedule: list[str] = []
        while kills < min_kills:
            if not schedule:  # every kind of moment in each block of five kills, in random order
                schedule = ["startup", "backlog", "push", "sending", "sending"]
                rng.shuffle(schedule)
            mode = schedule.pop()
            if mode in ("startup", "backlog"):
                seed_wave()  # waiting for the daemon: handled right after its login
            daemon.start()
            try:
                if mode == "startup":
                    await asyncio.sleep(rng.uniform(0.05, 1.2))
                else:
                    await daemon.wait_log("watching", timeout=30)
                    if mode == "backlog":
                        await asyncio.sleep(rng.uniform(0.0, 0.25))
                    elif mode == "push":
                        await asyncio.sleep(rng.uniform(0.1, 0.4))  # in IDLE
                        seed_wave()
                        await asyncio.sleep(rng.uniform(0.45, 0.8))  # Dovecot pushes after ~0.5 s
                    else:  # sending: SIGKILL from inside the sink, right as it accepts the n-th answer
                        await asyncio.sleep(rng.uniform(0.1, 0.4))
                        fired = _kill_on_answer(sink, daemon.pid, rng.randint(1, max(1, per_wave - 1)))
                        seed_wave()
                        await _until(fired.is_set, timeout=10)
            except (TimeoutError, RuntimeError) as exc:
                log(f"cycle problem ({mode}): {exc}")
            if "_record" in vars(sink):
                del sink._record  # a trigger that did not fire
            if daemon.kill():
                kills += 1
                modes[mode] += 1
                log(f"kill {kills}/{min_kills} ({mode}): {delivered} delivered, {answered()} answers at the sink")
            else:
                log(f"daemon had already exited ({daemon.proc.returncode if daemon.proc else None}):\n"
                    f"{daemon.log_since_start()[-2000:]}")
        while pending_waves:
            seed_wave()
        # the last restart: let it finish, then stop it cleanly
        daemon.start()
        await daemon.wait_log("watching", timeout=30)
        last_progress, last_seen = time.monotonic(), -1
        while True:
            await asyncio.sleep(0.2)
            handled = db_scalar(state, "select count(*) from messages where direction = 'in'")
            busy = db_scalar(state, "select count(*) from outbox where status in ('queued', 'sending')")
            got = len({m.in_reply_to for m in sink.messages} & expected)
            if (handled, busy, got) != last_seen:
                last_seen, last_progress = (handled, busy, got), time.monotonic()
            if handled >= total and busy == 0 and (got >= total or time.monotonic() - last_progress > 3):
                break
            if time.monotonic() - last_progress > 60:
                log(f"no progress for 60 s: handled {handled}, queued/sending {busy}, answered {got}")
                break
        code = await daemon.terminate()
        log(f"final daemon stopped with exit code {code}")

        # ---- count at the sink
        by_parent: dict[str, list] = {}
        for m in sink.messages:
            if m.in_reply_to:
                by_parent.setdefault(m.in_reply_to, []).append(m)
        sent = {mid for mid in by_parent if mid in expected}
        duplicates = sum(len(v) - 1 for v in by_parent.values())
        strays = sum(len(v) for k, v in by_parent.items() if k not in expected) + sum(
            1 for m in sink.messages if not m.in_reply_to)
        # each lead must get need, timeline, budget, authority and the closing line exactly once
        kinds: dict[int, Counter[str]] = {}
        for mid, msgs in by_parent.items():
            if mid in lead_of:
                for m in msgs:
                    kinds.setdefault(lead_of[mid], Counter())[_answer_kind(m.raw)] += 1
        sequence_errors = sum(1 for lead in leads
                              if kinds.get(lead.id, Counter()) != Counter(k for k, _ in ANSWER_MARKERS))
        statuses = dict(db_query(state, "select status, count(*) from outbox group by status"))
        handled = db_scalar(state, "select count(*) from messages where direction = 'in'")
        lost_ids = sorted(expected - sent)
        if lost_ids:
            log(f"lost: {lost_ids[:10]}")
        return {
            "kills": kills,
            "inbound": len(replies),
            "replies_expected": len(expected),
            "replies_sent": len(sent),
            "lost": len(lost_ids),
            "duplicates": duplicates,
            "unknown": statuses.get("unknown", 0),
            "seconds": round(time.monotonic() - started, 2),
            "kill_moments": dict(modes),
            "inbound_handled": handled,
            "outbox": statuses,
            "sequence_errors": sequence_errors,
            "stray_mail": strays,
            "final_exit_code": code,
            "quick": bool(args.quick),
            "machine": machine(),
        }
    finally:
        if daemon is not None and daemon.alive():
            daemon.kill()
        if state is not None:
            remove_state(state)
        await sink.stop()
        await asyncio.to_thread(dovecot.close)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line (always the last line)")
    parser.add_argument("--quick", action="store_true", help="60 replies, 5 kills")
    parser.add_argument("--seed", type=int, default=None, help="random seed for kill moments (default: random)")
    ns = parser.parse_args()
    res = asyncio.run(run(ns))
    if ns.json:
        emit(res)
    else:
        for k, v in res.items():
            print(f"{k}: {v}")
