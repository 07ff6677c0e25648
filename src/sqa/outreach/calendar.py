"""Business days, sending windows and the recipient's time zone.

Cold mail (first mails, follow-ups) leaves only inside the agent's window
(default 09:00-17:00 Monday-Friday) in the *recipient's* local time, and never
on a holiday: the dates the operator lists, the public holidays of the
countries the operator names, and those of the lead's own country. Follow-ups
are counted in the same business days. Every computation goes through zoneinfo
with local wall times, so a window that opens at 09:00 opens at 09:00 local on
both sides of a DST change (the UTC instant moves by an hour, the wall time does
not).

Where a lead's zone comes from, in order: the lead's ``timezone`` field; its
``country`` when that country has one zone (zone.tab, or zones that agree on
their offsets all year, e.g. DE's Berlin and Busingen); the address's country
code top-level domain (``.de``, ``.co.uk``); else the agent's
``window.timezone``. Countries spanning several offsets (US, CA, AU, BR, RU,
MX, ...) are not guessed: a wrong guess sends at 06:00 local, the agent's zone
at least is the operator's choice.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from sqa.outreach.settings import OutreachSettings, WindowSettings

# A country with several zones whose principal zone is where (nearly) everyone lives: used for that country.
PRINCIPAL_ZONE = {
    "CN": "Asia/Shanghai", "ES": "Europe/Madrid", "PT": "Europe/Lisbon", "UA": "Europe/Kyiv", "NZ": "Pacific/Auckland",
    "EC": "America/Guayaquil", "CL": "America/Santiago",
}
# Country-code TLDs whose domains are mostly bought for the letters, not the country: they say nothing of where.
VANITY_TLDS = frozenset({"ac", "ai", "cc", "cf", "co", "fm", "ga", "gd", "gg", "gq", "io", "la", "ly", "me", "ml", "ms",
                         "nu", "sh", "so", "tk", "to", "tv", "vc", "ws"})
TLD_COUNTRY = {"uk": "GB"}  # the ccTLDs that differ from their ISO 3166 code (.eu, .su: no country)
# Instants at which a country's zones must agree to count as one zone (both DST halves of a year).
_PROBES = [datetime(2026, m, 15, 12, tzinfo=timezone.utc) for m in (1, 4, 7, 10)]
_SEARCH_DAYS = 3 * 366  # a window with no business day for three years is a configuration error


def _zone_table() -> str:
    """zone.tab (country code, coordinates, zone; one country per line), else zone1970.tab, from tzdata or the system."""
    for name in ("zone.tab", "zone1970.tab"):
        try:
            return importlib.resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")
        except (ModuleNotFoundError, FileNotFoundError, OSError):
            pass
        path = Path("/usr/share/zoneinfo") / name
        if path.exists():
            return path.read_text(encoding="utf-8")
    return ""


def _offsets(zone: str) -> tuple[timedelta | None, ...]:
    tz = ZoneInfo(zone)
    return tuple(p.astimezone(tz).utcoffset() for p in _PROBES)


@lru_cache(maxsize=1)
def country_zones() -> dict[str, str]:
    """ISO country -> its one zone, for the countries where one zone (or one offset all year) is right."""
    listed: dict[str, list[str]] = {}
    for line in _zone_table().splitlines():
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) >= 3:
            for code in fields[0].split(","):
                listed.setdefault(code.upper(), []).append(fields[2])
    out: dict[str, str] = {}
    for code, zones in listed.items():
        try:
            if code in PRINCIPAL_ZONE or len({_offsets(z) for z in zones}) == 1:
                out[code] = PRINCIPAL_ZONE.get(code, zones[0])
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return out


def country_of_address(email: str) -> str | None:
    """The ISO country of the address's ccTLD (``x@y.co.uk`` -> GB), None for generic or vanity TLDs."""
    tld = email.rpartition("@")[2].rstrip(".").rpartition(".")[2].lower()
    if len(tld) != 2 or not tld.isalpha() or tld in VANITY_TLDS:
        return None
    return TLD_COUNTRY.get(tld, tld.upper())


@lru_cache(maxsize=4096)
def valid_zone(name: str | None) -> str | None:
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return None
    return name


def resolve_zone(timezone: str | None, country: str | None, email: str, default: str) -> str:
    """The lead's IANA zone: its own, else its country's, else its address's ccTLD's, else ``default``."""
    zone = valid_zone(timezone)
    if zone is not None:
        return zone
    zones = country_zones()
    for code in (country, country_of_address(email)):
        if code and code.upper() in zones:
            return zones[code.upper()]
    return default


_PUBLIC: dict[tuple[str, int], frozenset[date]] = {}


def public_holidays(country: str, year: int) -> frozenset[date]:
    """The public holidays of ``country`` in ``year`` (cached); an unknown country has none."""
    key = (country.upper(), year)
    found = _PUBLIC.get(key)
    if found is None:
        try:
            found = frozenset(holidays.country_holidays(key[0], years=year))
        except (NotImplementedError, KeyError, ValueError, AttributeError):
            found = frozenset()
        _PUBLIC[key] = found
    return found


class BusinessCalendar:
    """The agent's window and holidays, asked in the recipient's zone (and for the recipient's country)."""

    def __init__(self, window: WindowSettings) -> None:
        self.window = window
        self.weekdays = frozenset(window.weekdays)
        self.holidays = frozenset(window.holidays)
        self.countries = tuple(window.holiday_countries)

    def is_business_day(self, day: date, country: str | None = None) -> bool:
        if day.isoweekday() not in self.weekdays or day in self.holidays:
            return False
        return not any(day in public_holidays(c, day.year) for c in self._countries(country))

    def holiday_name(self, day: date, country: str | None = None) -> str | None:
        """Why ``day`` is no business day (for the record), None when it is one."""
        if day.isoweekday() not in self.weekdays:
            return f"{day:%A}"
        if day in self.holidays:
            return "configured holiday"
        for c in self._countries(country):
            if day in public_holidays(c, day.year):
                return f"public holiday in {c.upper()}"
        return None

    def _countries(self, country: str | None) -> Iterable[str]:
        if country and self.window.lead_country_holidays and country.upper() not in self.countries:
            return (*self.countries, country)
        return self.countries

    def is_open(self, at_utc: datetime, zone: str, country: str | None = None) -> bool:
        """Whether cold mail may leave at ``at_utc`` for a recipient in ``zone`` (always, with the window off)."""
        if not self.window.enabled:
            return True
        local = at_utc.astimezone(ZoneInfo(zone))
        return self.window.start <= local.time().replace(tzinfo=None) < self.window.end and \
            self.is_business_day(local.date(), country)

    def next_open(self, at_utc: datetime, zone: str, country: str | None = None) -> datetime:
        """``at_utc`` when the window is open then, else the next window opening (UTC)."""
        if self.is_open(at_utc, zone, country):
            return at_utc
        tz = ZoneInfo(zone)
        local = at_utc.astimezone(tz)
        day = local.date()
        if not (local.time().replace(tzinfo=None) < self.window.start and self.is_business_day(day, country)):
            day = self._next_business_day(day, country)
        return _at(day, self.window.start, tz)

    def add_business_days(self, at_utc: datetime, n: int, zone: str, country: str | None = None) -> datetime:
        """``n`` business days after ``at_utc``, at the same local time of day, moved into the window."""
        tz = ZoneInfo(zone)
        local = at_utc.astimezone(tz)
        day = local.date()
        for _ in range(n):
            day = self._next_business_day(day, country)
        return self.next_open(_at(day, local.time().replace(tzinfo=None), tz), zone, country)

    def _next_business_day(self, day: date, country: str | None) -> date:
        for _ in range(_SEARCH_DAYS):
            day += timedelta(days=1)
            if self.is_business_day(day, country):
                return day
        raise ValueError(f"no business day within {_SEARCH_DAYS} days after {day}: check window.weekdays and holidays")


def _at(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall time ``wall`` on ``day`` in ``tz``.

    A wall time skipped by a spring-forward change (02:30 on the change day) maps to the instant an hour
    later on the new clock (fold=0 keeps the old offset); a repeated one (autumn) maps to its first occurrence.
    """
    return datetime.combine(day, wall, tzinfo=tz).astimezone(timezone.utc)


def followup_due(sent_at: datetime, followups_sent: int, zone: str, country: str | None,
                 outreach: OutreachSettings) -> datetime:
    """When the next step is due after a mail sent at ``sent_at``.

    After the first mail (``followups_sent`` 0) the first gap of the cadence; after follow-up k the k-th gap, or
    the last gap once the cadence is used up (the wait for an answer to the last follow-up).
    """
    cadence = outreach.cadence_business_days
    gap = cadence[followups_sent] if followups_sent < len(cadence) else cadence[-1]
    return _calendar(outreach.window).add_business_days(sent_at, gap, zone, country)


_CALENDARS: dict[int, tuple[WindowSettings, BusinessCalendar]] = {}


def _calendar(window: WindowSettings) -> BusinessCalendar:
    """One calendar per settings object (settings are frozen; the entry keeps the object alive so its id stays its own)."""
    entry = _CALENDARS.get(id(window))
    if entry is None or entry[0] is not window:
        if len(_CALENDARS) > 256:
            _CALENDARS.clear()
        entry = (window, BusinessCalendar(window))
        _CALENDARS[id(window)] = entry
    return entry[1]
