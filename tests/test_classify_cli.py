"""`sqa classify`: the contract other tools rely on (issue 3, "CLI contract").

One JSON object per input, in input order, one per line, with every key; exit
0 for any input however malformed; `-` reads stdin; --self marks our own mail.
The verdicts themselves are the rules' business (their own tests and
benchmarks/accuracy.py): here only kinds that the contract fixes are asserted.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sqa.classify_cli import KEYS, classify_paths, make_context, read_input

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "corpus" / "labelled"
MESSAGES = LABELLED / "messages"
KINDS = {"human", "unsubscribe", "auto_reply", "bounce", "bulk", "self", "quarantine"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
AVA = "ava@acme-analytics.test"


def labels() -> list[dict]:
    return [json.loads(line) for line in (LABELLED / "labels.jsonl").read_text().splitlines() if line.strip()]


def first(kind: str) -> Path:
    return MESSAGES / next(c["file"] for c in labels() if c["kind"] == kind)


def sqa_classify(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """The real command in a child process, with no config file anywhere it could look."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQA_")}
    env["SQA_CONFIG"] = "/nonexistent/sqa.toml"  # must not be read
    if cwd is not None:
        env["HOME"] = str(cwd)
    return subprocess.run([sys.executable, "-m", "sqa.cli", "classify", *args], input=stdin if stdin is not None else b"",
                          capture_output=True, cwd=cwd, env=env, timeout=120)


def records(proc: subprocess.CompletedProcess[bytes]) -> list[dict]:
    text = proc.stdout.decode("utf-8")  # strict: the output is valid UTF-8 whatever the input was
    return [json.loads(line) for line in text.splitlines()]


def check_record(rec: dict) -> None:
    assert set(KEYS) <= set(rec), f"missing keys: {set(KEYS) - set(rec)}"
    assert rec["kind"] in KINDS
    assert isinstance(rec["path"], str)
    assert isinstance(rec["reason"], str) and rec["reason"] and "\n" not in rec["reason"]
    assert isinstance(rec["rule"], str) and rec["rule"]
    assert rec["reply_text"] is None or isinstance(rec["reply_text"], str)
    assert rec["return_date"] is None or DATE.match(rec["return_date"])
    if rec["bounce"] is not None:
        assert isinstance(rec["bounce"]["recipients"], list)
        assert all(isinstance(a, str) for a in rec["bounce"]["recipients"])
        assert isinstance(rec["bounce"]["permanent"], bool)
    assert isinstance(rec["rules"], list) and rec["rules"], "the trail is never empty"
    for entry in rec["rules"]:
        assert isinstance(entry["rule"], str) and entry["result"] in ("hit", "miss")
    hits = [e for e in rec["rules"] if e["result"] == "hit"]
    if rec["rule"] != "default":  # the deciding rule is among the trail's hits
        assert any(h["rule"] == rec["rule"] and h.get("kind") == rec["kind"] for h in hits), rec["rules"]
    assert isinstance(rec["flags"], list)
    assert isinstance(rec["truncated"], bool)


def test_whole_labelled_corpus_one_line_per_input_in_order(tmp_path: Path) -> None:
    files = sorted(MESSAGES.glob("*.eml"))
    assert len(files) >= 150
    paths = [str(p) for p in files]
    proc = sqa_classify("--json", "--self", AVA, "--unsubscribe", "ava+unsubscribe@acme-analytics.test", *paths, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    recs = records(proc)
    assert [r["path"] for r in recs] == paths
    for rec in recs:
        check_record(rec)
    by_name = {Path(r["path"]).name: r for r in recs}
    for case in labels():
        if case["kind"] == "quarantine":  # unreadable files stay quarantined, with a reason
            assert by_name[case["file"]]["kind"] == "quarantine", case["file"]
        if case["kind"] == "self":
            assert by_name[case["file"]]["kind"] == "self", case["file"]


def test_bad_inputs_each_get_a_quarantine_line_and_exit_0(tmp_path: Path) -> None:
    human = first("human")
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)) * 40 + b"\x00\xff\xfe" * 1000)
    whitespace = tmp_path / "blank.eml"
    whitespace.write_bytes(b"\r\n \t\r\n\n")
    directory = tmp_path / "a-directory"
    directory.mkdir()
    missing = tmp_path / "missing.eml"
    args = [str(human), str(directory), str(missing), str(empty), str(garbage), str(whitespace), str(human)]
    proc = sqa_classify("--json", *args, cwd=tmp_path)
    assert proc.returncode == 0
    recs = records(proc)
    assert [r["path"] for r in recs] == args
    for rec in recs:
        check_record(rec)
    assert recs[0]["kind"] != "quarantine" and recs[-1] == recs[0]
    for rec, why in zip(recs[1:6], ("directory", "no such file", "", "", "")):
        assert rec["kind"] == "quarantine", rec
        assert why in rec["reason"]
        assert rec["reply_text"] is None and rec["bounce"] is None and rec["return_date"] is None


def test_stdin_dash_reads_bytes(tmp_path: Path) -> None:
    human = first("human")
    raw = human.read_bytes()
    via_file = records(sqa_classify("--json", str(human), cwd=tmp_path))[0]
    proc = sqa_classify("--json", "-", stdin=raw, cwd=tmp_path)
    assert proc.returncode == 0
    [via_stdin] = records(proc)
    assert via_stdin["path"] == "-"
    assert {k: v for k, v in via_stdin.items() if k != "path"} == {k: v for k, v in via_file.items() if k != "path"}
    # binary junk on stdin, and an empty stdin: still a line each, still exit 0
    for data in (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), b""):
        proc = sqa_classify("--json", "-", stdin=data, cwd=tmp_path)
        assert proc.returncode == 0
        [rec] = records(proc)
        check_record(rec)
        assert rec["kind"] == "quarantine"


def test_self_makes_our_own_mail_self(tmp_path: Path) -> None:
    human = first("human")
    sender = records(sqa_classify("--json", str(human), cwd=tmp_path))[0]
    assert sender["kind"] != "self" and sender["from"]
    proc = sqa_classify("--json", "--self", "someone-else@example.test", "--self", sender["from"].upper(), str(human), cwd=tmp_path)
    assert proc.returncode == 0
    [rec] = records(proc)
    assert rec["kind"] == "self", rec
    assert rec["reply_text"] is None


def test_loop_marker_is_the_first_self(tmp_path: Path) -> None:
    """A message carrying only our X-SQA-Loop header (the From was rewritten) is ours when the marker matches."""
    raw = (b"From: Lead via Forwarder <forwarder@lists.example.test>\r\nTo: lead@example.test\r\n"
           b"Subject: Re: hello\r\nMessage-ID: <x1@example.test>\r\nX-SQA-Loop: " + AVA.encode() + b"\r\n\r\nHello\r\n")
    msg = tmp_path / "looped.eml"
    msg.write_bytes(raw)
    [ours] = records(sqa_classify("--json", "--self", AVA, "--self", "other@acme-analytics.test", str(msg), cwd=tmp_path))
    assert ours["kind"] == "self"
    [theirs] = records(sqa_classify("--json", "--self", "other@acme-analytics.test", str(msg), cwd=tmp_path))
    assert theirs["kind"] != "self"


def test_readable_output_one_line_per_input(tmp_path: Path) -> None:
    files = [first("human"), first("bounce"), first("quarantine"), tmp_path / "missing.eml"]
    proc = sqa_classify(*map(str, files), cwd=tmp_path)
    assert proc.returncode == 0
    lines = proc.stdout.decode("utf-8").splitlines()
    assert len(lines) == len(files)
    for line, path in zip(lines, files):
        assert line.split()[0] in KINDS
        assert str(path) in line
    assert lines[-1].startswith("quarantine")


def test_no_paths_is_a_usage_error(tmp_path: Path) -> None:
    assert sqa_classify("--json", cwd=tmp_path).returncode == 2


# -- the library functions behind the command -----------------------------------------------------


def test_make_context_defaults() -> None:
    ctx = make_context()
    assert ctx.own_addresses == frozenset() and ctx.loop_marker == "sqa" and ctx.unsubscribe_addresses == frozenset()
    ctx = make_context(["Ava@Acme-Analytics.test", "b@x.test"], ["ava+unsubscribe@acme-analytics.test"])
    assert ctx.own_addresses == {"ava@acme-analytics.test", "b@x.test"}
    assert ctx.loop_marker == "ava@acme-analytics.test"
    assert ctx.unsubscribe_addresses == {"ava+unsubscribe@acme-analytics.test"}
    assert ctx.domain == "acme-analytics.test"


def test_read_input_truncates_like_the_daemon(tmp_path: Path) -> None:
    big = tmp_path / "big.eml"
    big.write_bytes(b"From: a@b.test\r\nSubject: x\r\n\r\n" + b"y" * 5000)
    raw, truncated, error = read_input(str(big), max_bytes=1024)
    assert error is None and truncated and len(raw) == 1024
    raw, truncated, error = read_input("-", stdin=io.BytesIO(b"abc"))
    assert (raw, truncated, error) == (b"abc", False, None)
    assert read_input(str(tmp_path))[2] == "cannot read input: is a directory"


def test_a_rule_that_raises_becomes_a_quarantine_line(tmp_path: Path) -> None:
    class Exploding:
        name = "exploding"
        description = "always raises"

        def check(self, facts):  # noqa: ANN001, ANN201
            raise RuntimeError("boom")

    recs = list(classify_paths([str(first("human"))], make_context(), chain=(Exploding(),)))
    assert len(recs) == 1 and recs[0]["kind"] == "quarantine"
    assert "RuntimeError: boom" in recs[0]["reason"]


@pytest.mark.parametrize("header", [b"Subject: caf\xe9 cr\xe8me\r\n", b"Subject: =?x-unknown?q?abc?=\r\n"])
def test_undecodable_headers_still_give_valid_utf8(tmp_path: Path, header: bytes) -> None:
    msg = tmp_path / "eight-bit.eml"
    msg.write_bytes(b"From: Jos\xe9 <jose@example.test>\r\nTo: ava@acme-analytics.test\r\n" + header + b"\r\nHola\r\n")
    proc = sqa_classify("--json", str(msg), cwd=tmp_path)
    assert proc.returncode == 0
    [rec] = records(proc)
    check_record(rec)
