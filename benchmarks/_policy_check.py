"""An independent check of sent cold mail against the sending policy (benchmarks/schedule.py).

Written from the settings' meaning with zoneinfo and the ``holidays`` library
directly, not with sqa.outreach.calendar, so a bug there cannot hide itself:
every first mail and follow-up must have left inside its recipient's window, on
a business day that is no holiday, within the mailbox's daily cap (warm-up
included), the per-minute cap and the per-domain daily cap.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays


@dataclass(frozen=True, slots=True)
class SentRow:
    agent: str
    to_addr: str
    tz: str
    country: str | None
    sent_at: datetime  # aware UTC, the (simulated) clock's time of the 250


@lru_cache(maxsize=None)
def _public(country: str, year: int) -> frozenset[date]:
    try:
        return frozenset(holidays.country_holidays(country, years=year))
    except (NotImplementedError, KeyError):
        return frozenset()


def window_violation(row: SentRow, window: dict, lead_country_holidays: bool = True) -> str | None:
    """Why ``row`` broke the window, else None. ``window``: the agent's outreach.window settings as a dict."""
    if not window.get("enabled", True):
        return None
    local = row.sent_at.astimezone(ZoneInfo(row.tz))
    start = _hm(window.get("start", "09:00"))
    end = _hm(window.get("end", "17:00"))
    if local.isoweekday() not in window.get("weekdays", [1, 2, 3, 4, 5]):
        return f"weekday {local:%A} {local:%Y-%m-%d %H:%M} {row.tz}"
    if not (start <= (local.hour, local.minute, local.second) < end):
        return f"outside {window.get('start', '09:00')}-{window.get('end', '17:00')}: {local:%Y-%m-%d %H:%M} {row.tz}"
    day = local.date()
    if day.isoformat() in {str(d) for d in window.get("holidays", [])}:
        return f"configured holiday {day}"
    countries = list(window.get("holiday_countries", []))
    if lead_country_holidays and row.country:
        countries.append(row.country)
    for country in countries:
        if day in _public(country.upper(), day.year):
            return f"public holiday in {country} on {day}"
    return None


def _hm(text: str) -> tuple[int, int, int]:
    parts = [int(p) for p in str(text).split(":")]
    return tuple((parts + [0, 0])[:3])  # type: ignore[return-value]


def daily_cap(caps: dict, first_day: date, day: date) -> int:
    """The cap of ``day``: the warm-up ramp from ``first_day`` up to per_day."""
    per_day = caps.get("per_day", 300)
    if not caps.get("warmup", True):
        return per_day
    since = caps.get("warmup_since") or first_day
    if isinstance(since, str):
        since = date.fromisoformat(since)
    days = max(0, (day - since).days)
    return min(per_day, caps.get("warmup_start", 20) + caps.get("warmup_step", 10) * days)


def cap_violations(rows: list[SentRow], caps: dict, agent_zone: str, first_day: date | None = None) -> list[str]:
    """Daily (agent's day, warm-up), per-minute and per-domain-per-day breaches of one mailbox's sends."""
    if not rows:
        return []
    zone = ZoneInfo(agent_zone)
    days = Counter(r.sent_at.astimezone(zone).date() for r in rows)
    first = first_day or min(days)
    out = [f"{n} sent on {d} > cap {daily_cap(caps, first, d)}" for d, n in sorted(days.items())
           if n > daily_cap(caps, first, d)]
    per_minute = caps.get("per_minute", 10)
    times = sorted(r.sent_at for r in rows)
    lo = 0
    for hi, t in enumerate(times):  # any 60-second span, not only calendar minutes
        while t - times[lo] >= timedelta(seconds=60):
            lo += 1
        if hi - lo + 1 > per_minute:
            out.append(f"{hi - lo + 1} sends in the minute before {t:%Y-%m-%d %H:%M:%S} > {per_minute}")
            break
    domains = Counter((r.sent_at.astimezone(zone).date(), r.to_addr.rsplit("@", 1)[1].lower()) for r in rows)
    per_domain = caps.get("per_domain_per_day", 25)
    out += [f"{n} to {dom} on {d} > {per_domain}" for (d, dom), n in sorted(domains.items()) if n > per_domain]
    return out
