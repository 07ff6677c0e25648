"""A tiny TOML writer for tests that need a configuration *file* (sqa run, SIGHUP reload): inline tables only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (str, Path)):
        return json.dumps(str(v))  # a TOML basic string: JSON's escapes are TOML's
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {value(x)}" for k, x in v.items() if x is not None) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(value(x) for x in v) + "]"
    raise TypeError(f"no TOML for {v!r}")


def dumps(data: dict[str, Any]) -> str:
    """One ``key = value`` line per top-level key (tables inline: valid TOML 1.0 on one line each)."""
    return "".join(f"{json.dumps(str(k))} = {value(v)}\n" for k, v in data.items() if v is not None)


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(dumps(data))
    return path
