"""Per-agent outreach settings: intake, cadence, sending window and caps (``agents[].outreach``).

Defaults are the market's (../shared/PRODUCT.md): follow-ups +3, +5, +8
business days; 09:00-17:00 Monday-Friday in the lead's time zone; a new
mailbox ramps up from 20 mails a day; replies first, then first mails, then
follow-ups.
"""

from __future__ import annotations

from datetime import date, time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_zone(name: str) -> str:
    """An IANA zone name (``Europe/Berlin``), else ValueError naming it."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Europe/Berlin)") from exc
    return name


class WindowSettings(_Strict):
    """When cold mail (first mails and follow-ups) may leave, in the recipient's local time."""

    enabled: bool = True  # False: cold mail leaves at any hour (caps still apply)
    start: time = time(9, 0)
    end: time = time(17, 0)
    weekdays: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5], min_length=1)  # ISO: 1 = Monday ... 7 = Sunday
    holidays: list[date] = Field(default_factory=list)  # no cold mail on these local dates
    holiday_countries: list[str] = Field(default_factory=list)  # public holidays of these ISO countries (`holidays` library)
    lead_country_holidays: bool = True  # also the public holidays of the lead's own country, when known
    timezone: str = "UTC"  # the agent's zone: for leads whose zone is neither given nor inferable
    replies: bool = False  # hold replies to leads to the window too (default: whoever wrote gets the answer now)

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(d < 1 or d > 7 for d in value) or len(set(value)) != len(value):
            raise ValueError("weekdays: distinct ISO weekday numbers, 1 (Monday) to 7 (Sunday)")
        return sorted(value)

    @field_validator("holiday_countries")
    @classmethod
    def _countries(cls, value: list[str]) -> list[str]:
        bad = [c for c in value if len(c) != 2 or not c.isalpha()]
        if bad:
            raise ValueError(f"holiday_countries: ISO 3166 alpha-2 codes such as DE, not {bad}")
        return [c.upper() for c in value]

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_zone(value)

    @model_validator(mode="after")
    def _order(self) -> WindowSettings:
        if self.start >= self.end:
            raise ValueError("window: start must be before end (a window does not cross midnight)")
        return self


class CapSettings(_Strict):
    """How much one mailbox sends: per day, per minute, per recipient domain, with a warm-up ramp."""

    per_day: int = Field(default=300, ge=1)  # the mailbox's daily cap once warmed up (Exchange allows 10,000)
    per_minute: int = Field(default=10, ge=1)
    per_domain_per_day: int = Field(default=25, ge=1)  # to one recipient domain
    warmup: bool = True  # a new mailbox starts low and ramps up
    warmup_start: int = Field(default=20, ge=1)  # the cap on the first day of sending
    warmup_step: int = Field(default=10, ge=1)  # added per day since warmup_since, up to per_day
    warmup_since: date | None = None  # default: the day this agent first sent a mail
    jitter_s: tuple[float, float] = (20.0, 90.0)  # random pause between two cold mails (min, max seconds)
    replies_exempt: bool = True  # replies to leads are never held by a cap (they still count towards it)

    @model_validator(mode="after")
    def _jitter(self) -> CapSettings:
        low, high = self.jitter_s
        if low < 0 or high < low:
            raise ValueError("jitter_s: [min, max] with 0 <= min <= max")
        return self


class ComplaintSettings(_Strict):
    """Spam complaints (feedback-loop reports) per mail sent, over a rolling window: alert, then halt cold mail.

    Defaults are the mailbox providers' (Gmail and Yahoo bulk-sender rules): keep under 0.1 %, never reach 0.3 %.
    While halted, first mails and follow-ups wait (nothing is dropped); replies to leads who wrote still go. The
    halt ends by itself when complaints age out of the window, or at once when an operator raises ``halt_share``
    (SIGHUP).
    """

    alert_share: float = Field(default=0.001, gt=0, le=1)  # ALERT above this share of sends
    halt_share: float = Field(default=0.003, gt=0, le=1)  # above this: cold mail halted
    min_sends: int = Field(default=100, ge=1)  # the rate is judged only once the window holds this many sends
    window_days: int = Field(default=7, ge=1, le=90)

    @model_validator(mode="after")
    def _order(self) -> ComplaintSettings:
        if self.halt_share < self.alert_share:
            raise ValueError("complaints: halt_share must be at least alert_share")
        return self


INTAKE_FIELDS = ("name", "company", "title", "country", "timezone", "owner", "source", "language")


class IntakeSettings(_Strict):
    """Which new leads the daemon takes into outreach by itself."""

    auto: bool = True  # the scheduler contacts matching `new` leads (else only `sqa leads contact`)
    sources: list[str] = Field(default_factory=list)  # only leads from these sources (empty: any source)
    created_within_days: int | None = Field(default=None, ge=1)  # only leads created this recently
    required_fields: list[Literal["name", "company", "title", "country", "timezone", "owner", "source", "language"]] = (
        Field(default_factory=list))  # a lead missing one waits, with the reason on record
    cooldown_days: int = Field(default=90, ge=0)  # a finished conversation may be re-opened after this
    validate_email: bool = True  # syntax + MX lookup before the first mail; invalid -> disqualified, back to the owner
    dns_nameservers: list[str] = Field(default_factory=list)  # empty: the system's resolvers
    dns_port: int = Field(default=53, ge=1, le=65535)
    dns_timeout_s: float = Field(default=5.0, gt=0)
    per_tick: int = Field(default=200, ge=1)  # leads taken in per scheduler tick


class OutreachSettings(_Strict):
    intake: IntakeSettings = IntakeSettings()
    cadence_business_days: list[int] = Field(default_factory=lambda: [3, 5, 8])  # each follow-up: business days after the previous mail
    window: WindowSettings = WindowSettings()
    caps: CapSettings = CapSettings()
    complaints: ComplaintSettings = ComplaintSettings()  # spam-complaint rate: alert, then halt cold mail
    tick_s: float = Field(default=30.0, gt=0)  # how often the scheduler looks for due work (also woken)

    @field_validator("cadence_business_days")
    @classmethod
    def _cadence(cls, value: list[int]) -> list[int]:
        if any(d < 1 for d in value):
            raise ValueError("cadence_business_days: each gap at least 1 business day")
        return value
