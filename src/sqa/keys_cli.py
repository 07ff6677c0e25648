"""`sqa keys generate | status | rotate`: the column encryption key (storage.key, db/crypto.py).

A rotation, step by step (the README has it too):
1. ``sqa keys generate > /etc/credstore/sqa-storage-key.new`` (mode 0600);
2. in sqa.toml: ``storage.key_credential`` names the new key, the old one moves to
   ``[[storage.old_keys]]``; restart the daemon (new rows are written with the new key);
3. ``sqa keys rotate``: every value still in plaintext or under an old key is
   re-encrypted with the new one, in batches (resumable; the daemon may run);
4. ``sqa keys status`` shows nothing left under the old key: remove it from old_keys.

``--new-key-file`` / ``--new-key-credential`` rotate to a key that is not in the
configuration yet (the configured keys then only decrypt); do step 2 before the
daemon writes again, or run the rotation once more afterwards.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

keys_app = typer.Typer(no_args_is_help=True, help="Column encryption at rest: generate, status, rotate.")
out = Console()
err = Console(stderr=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="TOML file (default /etc/sqa/sqa.toml or $SQA_CONFIG)")]


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new random key (32 bytes, urlsafe base64) for storage.key_credential."""
    from sqa.db.crypto import generate_key

    print(generate_key())


@keys_app.command("status")
def keys_status(config: ConfigOpt = None, json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """How many values of each encrypted column are NULL, plaintext, or under which key."""
    from sqa.cli import _run, _settings, _with_db, setup_logging
    from sqa.db.crypto import keyring_of
    from sqa.db.rekey import status

    setup_logging("WARNING")
    settings = _settings(config)

    async def go(app_: Any) -> Any:
        keyring = keyring_of(app_.engine)
        return await status(app_.engine), (keyring.current_id if keyring else None), (keyring.key_ids if keyring else ())

    rows, current, known = _run(_with_db(settings, go))
    if json_out:
        out.print_json(json.dumps({"current_key": current, "configured_keys": list(known),
                                   "columns": [vars(r) for r in rows]}))
        return
    out.print(f"current key: {current or '(none: new values are stored in plaintext)'}", highlight=False)
    table = Table("column", "rows", "NULL", "plaintext", "by key id")
    for r in rows:
        keys = ", ".join(f"{k}{'*' if k == current else '' if k in known else ' (NOT CONFIGURED)'}: {n}"
                         for k, n in sorted(r.by_key.items()))
        table.add_row(r.column, str(r.total), str(r.null), str(r.plaintext), keys)
    out.print(table)
    out.print("* the current key", highlight=False)
    missing = {k for r in rows for k in r.by_key} - set(known)
    if missing:
        err.print(f"values under keys that are not configured: {', '.join(sorted(missing))} (they cannot be read)")
        raise typer.Exit(1)


@keys_app.command("rotate")
def keys_rotate(config: ConfigOpt = None,
                new_key_credential: Annotated[str | None, typer.Option(help="the new key: a file in $CREDENTIALS_DIRECTORY")] = None,
                new_key_file: Annotated[Path | None, typer.Option(help="the new key: a file")] = None,
                batch: Annotated[int, typer.Option(min=1, max=100_000)] = 500,
                json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Re-encrypt every value with the current key (or the new one given), in batches; old keys only decrypt."""
    from sqa.cli import _run, _settings, _with_db, setup_logging
    from sqa.db import crypto
    from sqa.db.rekey import rotate

    setup_logging("WARNING")
    settings = _settings(config)
    if new_key_credential and new_key_file:
        err.print("give --new-key-credential or --new-key-file, not both")
        raise typer.Exit(2)
    target = None
    try:
        if new_key_credential or new_key_file:
            target = crypto.parse_key(_read_key(new_key_credential, new_key_file), "the new key")
        keyring = crypto.keyring_from(settings, target=target)
    except (OSError, ValueError) as exc:
        err.print(escape(str(exc)), highlight=False)
        raise typer.Exit(2) from None
    if keyring is None:
        err.print("no key: set storage.key_credential (or pass --new-key-file / --new-key-credential)")
        raise typer.Exit(2)

    async def go(app_: Any) -> Any:
        crypto.use(app_.engine, keyring)
        return await rotate(app_.engine, keyring, batch=batch)

    try:
        done = _run(_with_db(settings, go))
    except crypto.DecryptError as exc:
        err.print(f"rotation stopped: {escape(str(exc))}; values before it are done, run it again once the key is configured",
                  highlight=False)
        raise typer.Exit(1) from None
    if json_out:
        out.print_json(json.dumps({"key": keyring.current_id, "columns": [vars(d) for d in done]}))
        return
    for d in done:
        out.print(f"{d.column}: {d.rewritten} re-encrypted ({d.from_plaintext} were plaintext)", highlight=False)
    out.print(f"every value is now under key {keyring.current_id}", highlight=False)


def _read_key(credential: str | None, path: Path | None) -> str:
    if credential:
        folder = os.environ.get("CREDENTIALS_DIRECTORY")
        if not folder:
            raise OSError(f"--new-key-credential {credential}: $CREDENTIALS_DIRECTORY is not set")
        path = Path(folder) / credential
    assert path is not None
    try:
        return path.read_text()
    except OSError as exc:
        raise OSError(f"cannot read the new key {path}: {exc.strerror}") from None
