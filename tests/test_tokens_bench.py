"""benchmarks/tokens.py --quick: the prompt stays flat over ten turns; concurrent conversations finish."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_tokens_benchmark_quick() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "tokens.py"), "--quick", "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    for key in ("token_rule", "turn1_prompt_tokens", "turn10_prompt_tokens", "ratio", "wall_s", "conversations"):
        assert key in result, key
    assert result["token_rule"] == "ceil(chars/4) per message"
    assert len(result["prompt_tokens_per_turn"]) == 10 and result["turn1_prompt_tokens"] > 0
    assert isinstance(result["ratio"], float) and result["ratio"] > 0  # the goal (<= 1.2) is in the README
    assert result["requests"] == result["conversations"] == 20
