#!/usr/bin/env python3
"""End-to-end benchmark: reply latency over IDLE, and draining a full mailbox.

Both parts run the daemon as a subprocess (``sqa run --config FILE``) against a
private Dovecot and an SMTP sink in this process's event loop, SQLite in a
temp dir, the offline engine.

(a) latency: N single lead replies delivered over LMTP one at a time (each
    waits for its answer); each is timed from delivery to the answer accepted
    by the sink. Interleaved with it, a bare aioimaplib client IDLEs on another
    mailbox and times delivery -> EXISTS push: Dovecot's own push latency
    (~0.5 s), the floor no IMAP client can beat. The daemon's share is the
    difference.
(b) drain: M replies from M/5 leads seeded into the mailbox (Maildir files);
    the daemon starts with import_history and is timed until every answer is
    accepted by the sink. Beside it, in the same run, a bare aioimaplib loop
    fetches (UID FETCH BODY.PEEK[] in batches of 50) and parses
    (email.message_from_bytes) the same messages from the same server.

Usage: e2e.py --json [--quick]. Progress on stderr; the last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import os
import random
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aioimaplib  # noqa: E402

from _common import (  # noqa: E402
    AGENT_DOMAIN,
    Daemon,
    agent_config,
    create_contacted_leads,
    db_scalar,
    descendants_cpu_s,
    emit,
    group_cpu_s,
    load,
    log,
    machine,
    percentile,
    reply_id,
    remove_state,
    reply_raw,
    settings_dict,
    start_servers,
    state_dir,
    write_config,
)

REPLIES_PER_LEAD = 5  # offline engine: 4 BANT questions, then the closing line = 5 answers per lead
GOALS = {"latency_ratio": "<= 1.1", "overhead_p99_ms": "<= 100", "drain_ratio": ">= 0.5", "peak_rss_mb": "<= 200"}


# ----------------------------------------------------------------------------- helpers

async def wait_answer(sink, in_reply_to: str, start_index: int, timeout: float):  # noqa: ANN001, ANN201
    """The first captured mail from ``start_index`` on that answers ``in_reply_to``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen = start_index
    while True:
        msgs = sink.messages
        for m in msgs[seen:]:
            if m.in_reply_to == in_reply_to:
                return m
        seen = len(msgs)
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise TimeoutError(f"no answer to {in_reply_to} within {timeout}s")
        sink._event.clear()
        try:
            await asyncio.wait_for(sink._event.wait(), min(remaining, 0.5))
        except (asyncio.TimeoutError, TimeoutError):
            pass


class PushProbe:
    """A bare aioimaplib client IDLEing on its own INBOX: measures Dovecot's push latency."""

    def __init__(self, dovecot, user: str) -> None:  # noqa: ANN001
        self.dovecot = dovecot
        self.user = user
        self.client: aioimaplib.IMAP4 | None = None
        self.idle = None

    async def start(self) -> None:
        await asyncio.to_thread(self.dovecot.lmtp_deliver, self.user, _probe_mail(self.user, 0))  # creates the mailbox
        c = aioimaplib.IMAP4(host=self.dovecot.host, port=self.dovecot.imap_port, timeout=30)
        await c.wait_hello_from_server()
        assert (await c.login(self.user, self.dovecot.password)).result == "OK"
        assert (await c.select("INBOX")).result == "OK"
        self.client = c
        await self._idle()

    async def _idle(self) -> None:
        assert self.client is not None
        self.idle = await self.client.idle_start(timeout=25 * 60)
        await asyncio.sleep(0.05)

    async def sample(self, i: int) -> float:
        """Deliver one message; seconds until the EXISTS push arrives."""
        assert self.client is not None
        raw = _probe_mail(self.user, i)
        t0 = time.monotonic()
        await asyncio.to_thread(self.dovecot.lmtp_deliver, self.user, raw)
        while True:
            lines = await self.client.wait_server_push(timeout=15)
            if lines == aioimaplib.STOP_WAIT_SERVER_PUSH:  # IDLE timer ran out: renew
                await self._renew()
                continue
            if any(b"EXISTS" in bytes(line) for line in lines):
                return time.monotonic() - t0

    async def restart(self) -> None:
        await self.close()
        self.client = None
        await self.start()

    async def _renew(self) -> None:
        assert self.client is not None
        self.client.idle_done()
        await asyncio.wait_for(self.idle, 10)
        await self._idle()

    async def close(self) -> None:
        if self.client is None:
            return
        try:
            self.client.idle_done()
            await asyncio.wait_for(self.idle, 10)
            await self.client.logout()
        except Exception:  # noqa: BLE001 - best effort
            pass


def _probe_mail(user: str, i: int) -> bytes:
    return (f"From: Probe <probe@lead.test>\r\nTo: {user}\r\nSubject: probe {i}\r\n"
            f"Message-ID: <probe{i}.{secrets.token_hex(4)}@lead.test>\r\n\r\nprobe {i}\r\n").encode()


async def baseline(dovecot, user: str, batch: int = 50, pol=None) -> tuple[float, int, float]:  # noqa: ANN001
    """Bare fetch + parse of the whole INBOX: (msg/s, messages, seconds).

    ``email.message_from_bytes`` with its default policy (compat32), as specified;
    ``pol=email.policy.default`` gives the variant PERFORMANCE.md's tables use.
    """
    kw = {} if pol is None else {"policy": pol}
    c = aioimaplib.IMAP4(host=dovecot.host, port=dovecot.imap_port, timeout=120)
    await c.wait_hello_from_server()
    assert (await c.login(user, dovecot.password)).result == "OK"
    assert (await c.select("INBOX")).result == "OK"
    started = time.perf_counter()
    resp = await c.uid_search("ALL", charset=None)
    uids = sorted({int(t) for line in resp.lines[:-1] for t in bytes(line).split() if t.isdigit()})
    n = 0
    for i in range(0, len(uids), batch):
        chunk = uids[i:i + batch]
        resp = await c.uid("fetch", f"{chunk[0]}:{chunk[-1]}", "(BODY.PEEK[])")
        assert resp.result == "OK", resp
        for line in resp.lines:
            if isinstance(line, bytearray):
                msg = email.message_from_bytes(bytes(line), **kw)
                assert msg["Message-ID"]
                n += 1
    elapsed = time.perf_counter() - started
    await c.logout()
    return n / elapsed, n, elapsed


async def prime(dovecot, user: str) -> None:  # noqa: ANN001
    """SELECT once so Dovecot indexes the seeded Maildir before anyone is timed."""
    c = aioimaplib.IMAP4(host=dovecot.host, port=dovecot.imap_port, timeout=120)
    await c.wait_hello_from_server()
    await c.login(user, dovecot.password)
    await c.select("INBOX")
    await c.logout()


# ----------------------------------------------------------------------------- (a) latency

async def latency_part(dovecot, sink, samples: int) -> dict:  # noqa: ANN001
    name = f"lat{secrets.token_hex(4)}"
    state = state_dir("sqa-bench-lat-")
    data = settings_dict(state, [agent_config(name, dovecot, sink)])
    settings = load(data)
    address = f"{name}@{AGENT_DOMAIN}"
    leads = await create_contacted_leads(settings, samples + 1)  # the first one warms the daemon up
    config = write_config(state / "sqa.toml", data)
    daemon = Daemon(config, state / "daemon.log")
    probe = PushProbe(dovecot, f"probe{secrets.token_hex(4)}@{AGENT_DOMAIN}")
    rng = random.Random(1)
    latencies: list[float] = []
    pushes: list[float] = []
    timeouts = 0
    daemon.start()
    try:
        await daemon.wait_log("watching")
        await probe.start()
        await asyncio.sleep(1.0)  # the watcher has entered IDLE
        sink.clear()
        first_overhead = None
        for i, lead in enumerate(leads, start=-1):
            rid = reply_id(lead, 1)
            raw = reply_raw(lead, address, turn=0, message_id=rid, parent_id=lead.first_message_id,
                            references=[], rng=rng)
            before = len(sink.messages)
            t0 = time.monotonic()
            await asyncio.to_thread(dovecot.lmtp_deliver, address, raw)
            try:
                answer = await wait_answer(sink, rid, before, timeout=15)
            except TimeoutError:
                timeouts += 1
                log(f"latency sample {i}: no answer within 15 s")
                continue
            latency = answer.received_at - t0
            await asyncio.sleep(rng.uniform(0.05, 0.15))  # let the daemon settle back into IDLE
            try:
                push = await probe.sample(i + 2)
            except (TimeoutError, asyncio.TimeoutError):
                log(f"push sample {i}: no EXISTS within 15 s; sample skipped")
                await probe.restart()
                continue
            if i < 0:  # the first answer after start-up pays one-time costs (SMTP connect, SQL compilation)
                first_overhead = (latency - push) * 1000
                continue
            latencies.append(latency)
            pushes.append(push)
            if os.environ.get("SQA_BENCH_VERBOSE"):
                log(f"sample {i}: reply {latency * 1000:.1f} ms, push {push * 1000:.1f} ms")
            if (i + 1) % 20 == 0 or i + 1 == samples:
                log(f"latency {i + 1}/{samples}: reply p50 {percentile(latencies, 50) * 1000:.0f} ms, "
                    f"push p50 {percentile(pushes, 50) * 1000:.0f} ms")
            await asyncio.sleep(rng.uniform(0.05, 0.15))
    finally:
        await probe.close()
        code = await daemon.terminate()
        log(f"latency daemon stopped with exit code {code}")
        remove_state(state)
    overhead = [(lat - push) * 1000 for lat, push in zip(latencies, pushes)]
    p50, push_p50 = percentile(latencies, 50), percentile(pushes, 50)
    return {
        "latency_p50_s": round(p50, 4),
        "latency_p99_s": round(percentile(latencies, 99), 4),
        "push_p50_s": round(push_p50, 4),
        "latency_ratio": round(p50 / push_p50, 4),
        "overhead_p50_ms": round(percentile(overhead, 50), 2),
        "overhead_p99_ms": round(percentile(overhead, 99), 2),
        "latency_samples": len(latencies),
        "latency_timeouts": timeouts,
        "push_p99_s": round(percentile(pushes, 99), 4),
        "first_reply_overhead_ms": round(first_overhead, 2) if first_overhead is not None else None,
    }


# ----------------------------------------------------------------------------- (b) drain

async def drain_part(dovecot, sink, total: int) -> dict:  # noqa: ANN001
    n_leads = total // REPLIES_PER_LEAD
    name = f"drain{secrets.token_hex(4)}"
    state = state_dir("sqa-bench-drain-")
    data = settings_dict(state, [agent_config(name, dovecot, sink)])
    settings = load(data)
    address = f"{name}@{AGENT_DOMAIN}"
    log(f"drain: creating {n_leads} leads")
    leads = await create_contacted_leads(settings, n_leads)
    rng = random.Random(2)
    raws: list[bytes] = []
    for turn in range(REPLIES_PER_LEAD):  # replies arrive turn by turn, leads interleaved
        for lead in leads:
            raws.append(reply_raw(lead, address, turn=turn, message_id=reply_id(lead, turn + 1),
                                  parent_id=lead.first_message_id, references=[], rng=rng))
    sizes = sorted(len(r) for r in raws)
    log(f"drain: seeding {len(raws)} replies (median {sizes[len(sizes) // 2]} B, "
        f"{sum(b'multipart/alternative' in r for r in raws)} multipart)")
    await asyncio.to_thread(dovecot.seed, address, raws)
    await prime(dovecot, address)
    rate1, n1, s1 = await baseline(dovecot, address)
    log(f"baseline before: {n1} msgs in {s1:.2f} s = {rate1:.0f} msg/s")

    expected = len(raws)  # every reply answered: 4 questions + the closing line per lead
    sink.clear()
    config = write_config(state / "sqa.toml", data)
    daemon = Daemon(config, state / "daemon.log")
    daemon.start()
    peak_kb = None
    try:
        t_ready = await daemon.wait_log("watching", timeout=60)
        startup = t_ready - daemon.started_at
        cpu0 = (daemon.cpu_s() or 0.0, time.process_time(), group_cpu_s(dovecot.pid), descendants_cpu_s(daemon.pid))
        threads0 = daemon.thread_cpu_s()
        last_count, last_change = 0, time.monotonic()
        verbose = bool(os.environ.get("SQA_BENCH_VERBOSE"))
        next_progress = time.monotonic() + 2
        while len(sink.messages) < expected:
            await asyncio.sleep(0.02)
            count = len(sink.messages)
            if verbose and time.monotonic() >= next_progress:  # investigation: watcher vs sender progress
                next_progress += 2
                log(f"drain progress: handled {db_scalar(state, 'select count(*) from messages where direction = ' + chr(39) + 'in' + chr(39))}, "
                    f"answered {count}")
            if count != last_count:
                last_count, last_change = count, time.monotonic()
            elif time.monotonic() - last_change > 60:
                raise RuntimeError(f"drain stalled at {count}/{expected} answers:\n{daemon.log_since_start()[-3000:]}")
            if not daemon.alive():
                raise RuntimeError(f"daemon died:\n{daemon.log_since_start()[-3000:]}")
        t_done = time.monotonic()
        peak_kb = daemon.status_kb("VmHWM")
        cpu = [round(b - a, 2) for a, b in zip(cpu0, (daemon.cpu_s() or 0.0, time.process_time(), group_cpu_s(dovecot.pid),
                                                      descendants_cpu_s(daemon.pid)))]
        threads = {k: round(v - threads0.get(k, 0.0), 2) for k, v in daemon.thread_cpu_s().items()}
        # the answers are queued in the same transaction that records the inbound message
        handled = db_scalar(state, "select count(*) from messages where direction = 'in'")
        sent = db_scalar(state, "select count(*) from outbox where status = 'sent'")
    finally:
        code = await daemon.terminate()
        log(f"drain daemon stopped with exit code {code}")
        remove_state(state)
    seconds = t_done - t_ready
    answered = len(sink.by_in_reply_to())
    duplicates = len(sink.messages) - answered
    rate = expected / seconds
    log(f"drain: {expected} answered in {seconds:.2f} s = {rate:.0f} msg/s (startup {startup:.2f} s, "
        f"handled {handled}, outbox sent {sent}, duplicates {duplicates})")
    rate2, n2, s2 = await baseline(dovecot, address)
    log(f"baseline after: {n2} msgs in {s2:.2f} s = {rate2:.0f} msg/s")
    rate_pd, _, _ = await baseline(dovecot, address, pol=email.policy.default)
    log(f"baseline with policy.default (PERFORMANCE.md's variant): {rate_pd:.0f} msg/s")
    base = (rate1 + rate2) / 2
    return {
        "drain_msgs": expected,
        "drain_rate": round(rate, 1),
        "baseline_rate": round(base, 1),
        "drain_ratio": round(rate / base, 4),
        "peak_rss_mb": round(peak_kb / 1024, 1) if peak_kb else None,
        "drain_seconds": round(seconds, 3),
        "drain_startup_s": round(startup, 3),
        "drain_rate_incl_startup": round(expected / (t_done - daemon.started_at), 1),
        "baseline_rates": [round(rate1, 1), round(rate2, 1)],
        "baseline_rate_policy_default": round(rate_pd, 1),
        "drain_ratio_vs_policy_default": round(rate / rate_pd, 4),
        "drain_handled": handled,
        "reply_median_bytes": sizes[len(sizes) // 2],
        "reply_multipart_share": round(sum(b"multipart/alternative" in r for r in raws) / len(raws), 3),
        "drain_duplicates": duplicates,
        "drain_cpu_s": {"daemon": cpu[0], "daemon_threads": threads, "analysis_workers": cpu[3], "sink_and_bench": cpu[1],
                        "dovecot": cpu[2]},
    }


# ----------------------------------------------------------------------------- main

async def main(args: argparse.Namespace) -> dict:
    samples = args.samples or (20 if args.quick else 200)
    total = args.drain or (1000 if args.quick else 10_000)
    dovecot, sink = await start_servers()
    try:
        result: dict = {}
        lat = await latency_part(dovecot, sink, samples) if "latency" in args.parts else {}
        drain = await drain_part(dovecot, sink, total) if "drain" in args.parts else {}
        keys = ("latency_p50_s", "latency_p99_s", "push_p50_s", "latency_ratio", "overhead_p50_ms", "overhead_p99_ms",
                "drain_msgs", "drain_rate", "baseline_rate", "drain_ratio", "peak_rss_mb")
        merged = {**lat, **drain}
        result = {k: merged[k] for k in keys if k in merged}
        result.update({k: v for k, v in merged.items() if k not in result})
        result["quick"] = bool(args.quick)
        result["goals"] = GOALS
        checks = {"latency_ratio": lambda v: v <= 1.1, "overhead_p99_ms": lambda v: v <= 100,
                  "drain_ratio": lambda v: v >= 0.5, "peak_rss_mb": lambda v: v <= 200}
        result["goals_met"] = {k: bool(f(result[k])) for k, f in checks.items() if result.get(k) is not None}
        result["machine"] = machine()
        return result
    finally:
        await sink.stop()
        await asyncio.to_thread(dovecot.close)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line (always the last line)")
    parser.add_argument("--quick", action="store_true", help="20 latency samples, 1,000 drained messages")
    parser.add_argument("--parts", default="latency,drain", help="investigation: run only some parts")
    parser.add_argument("--samples", type=int, default=0, help="investigation: latency samples")
    parser.add_argument("--drain", type=int, default=0, help="investigation: messages to drain")
    ns = parser.parse_args()
    res = asyncio.run(main(ns))
    if ns.json:
        emit(res)
    else:
        for k, v in res.items():
            print(f"{k}: {v}")
