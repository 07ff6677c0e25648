#!/usr/bin/env python3
"""Regenerate the labelled corpus: messages/*.eml and labels.jsonl.

    python3 corpus/labelled/generate.py

Deterministic: the same script always writes the same bytes. The hand-written
cases live in cases_*.py; _kit.py and _build.py hold the mail-client and MIME
helpers. See README.md for the labelling conventions.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True  # keep corpus/labelled/ free of __pycache__

import cases_auto  # noqa: E402
import cases_bounce  # noqa: E402
import cases_bulk  # noqa: E402
import cases_human  # noqa: E402
import cases_malformed  # noqa: E402
import cases_misc  # noqa: E402
import cases_unsub  # noqa: E402
from _build import Corpus  # noqa: E402

MODULES = [cases_human, cases_unsub, cases_auto, cases_bounce, cases_bulk, cases_misc, cases_malformed]


def main() -> int:
    corpus = Corpus()
    for mod in MODULES:
        mod.build(corpus)
    corpus.write(HERE)
    print(f"wrote {len(corpus.cases)} messages to {HERE / 'messages'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
