"""Parse + classify a fetched batch: in this process, or in worker processes.

Both are pure CPU work with no I/O (about 0.8 ms per typical message with the
whole rule chain), and the event loop has a database, an IMAP and an SMTP
client to serve besides. With ``daemon.analyze_workers = N`` the batch is
analysed in N worker processes (forkserver: no copy of the loop's threads),
so a second core does it while the loop handles the previous batch.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from sqa.mailbox.classify import Context, Verdict, classify
from sqa.mailbox.parse import InboundMessage, parse

log = logging.getLogger(__name__)


def analyze(raws: list[bytes], ctx: Context) -> list[tuple[InboundMessage, Verdict]]:
    """Each message parsed and classified; the MIME tree is dropped (it is large and nothing later needs it)."""
    out: list[tuple[InboundMessage, Verdict]] = []
    for raw in raws:
        msg = parse(raw)
        out.append((dataclasses.replace(msg, mime=None), classify(msg, ctx)))
    return out


class Analyzer:
    def __init__(self, workers: int = 0) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        if workers > 0:
            self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver"))

    async def run(self, raws: list[bytes], ctx: Context) -> list[tuple[InboundMessage, Verdict]]:
        if self._pool is None or not raws:
            return analyze(raws, ctx)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, analyze, raws, ctx)
        except BrokenProcessPool:
            # a worker died (OOM killer, a signal): not the mail's fault, so never a quarantine; analyse here
            # this time and start fresh workers for the next batch
            log.warning("analysis worker died; analysing this batch in the event loop and restarting workers")
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("forkserver"))
            return analyze(raws, ctx)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
