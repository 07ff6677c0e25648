"""The outreach calendar: recipient zones, business days, holidays, DST-correct window openings, follow-up due times.

Pure functions of their arguments: no clock, no database.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest

from sqa.outreach.calendar import (
    BusinessCalendar,
    country_of_address,
    country_zones,
    followup_due,
    public_holidays,
    resolve_zone,
)
from sqa.outreach.settings import OutreachSettings, WindowSettings

UTC = timezone.utc
BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def calendar(**window: object) -> BusinessCalendar:
    return BusinessCalendar(WindowSettings(**window))


# -- zones ------------------------------------------------------------------------------------------


def test_the_leads_own_zone_wins_then_its_country_then_its_address_then_the_agents():
    assert resolve_zone("America/Chicago", "DE", "a@b.de", "UTC") == "America/Chicago"
    assert resolve_zone(None, "DE", "a@b.fr", "UTC") == BERLIN
    assert resolve_zone(None, "de", "a@b.com", "UTC") == BERLIN  # case does not matter
    assert resolve_zone("Not/AZone", "FR", "a@b.com", "UTC") == "Europe/Paris"  # a bad zone field is skipped
    assert resolve_zone(None, None, "a@b.fr", "UTC") == "Europe/Paris"
    assert resolve_zone(None, None, "ann@shop.co.uk", "UTC") == "Europe/London"
    assert resolve_zone(None, None, "ann@firm.uk", "UTC") == "Europe/London"
    assert resolve_zone(None, None, "ann@firm.com", "Asia/Tokyo") == "Asia/Tokyo"  # generic TLD
    assert resolve_zone(None, None, "ann@startup.io", "Asia/Tokyo") == "Asia/Tokyo"  # vanity ccTLD
    assert resolve_zone("", "", "no-at-sign", "UTC") == "UTC"


def test_countries_with_several_offsets_are_not_guessed():
    zones = country_zones()
    for country in ("US", "CA", "AU", "BR", "RU", "MX", "ID"):
        assert country not in zones
    assert resolve_zone(None, "US", "ann@firm.com", "Europe/Paris") == "Europe/Paris"
    # the country falls through to the address when the country says nothing
    assert resolve_zone(None, "US", "ann@firm.de", "Europe/Paris") == BERLIN
    assert resolve_zone(None, None, "ann@firm.com.au", "UTC") == "UTC"


def test_a_country_whose_zones_agree_all_year_has_one_zone():
    zones = country_zones()
    assert zones["DE"] == BERLIN  # zone.tab also lists Europe/Busingen, same offsets
    assert zones["KZ"] == "Asia/Almaty"  # one offset since 2024
    assert zones["GB"] == "Europe/London" and zones["NL"] == "Europe/Amsterdam" and zones["IN"] == "Asia/Kolkata"
    assert zones["CN"] == "Asia/Shanghai" and zones["ES"] == "Europe/Madrid"  # the principal zone


def test_country_of_address():
    assert country_of_address("a@b.de") == "DE"
    assert country_of_address("a@B.CO.UK") == "GB"
    assert country_of_address("a@b.de.") == "DE"
    assert country_of_address("a@b.com") is None and country_of_address("a@b.io") is None
    assert country_of_address("a@b.eu") == "EU" and "EU" not in country_zones()  # no zone: falls through


# -- business days and holidays --------------------------------------------------------------------


def test_weekends_configured_holidays_and_public_holidays():
    cal = calendar(holidays=[date(2026, 12, 1)], holiday_countries=["fr"])
    assert cal.is_business_day(date(2026, 11, 30))  # Monday
    assert not cal.is_business_day(date(2026, 11, 28)) and not cal.is_business_day(date(2026, 11, 29))
    assert not cal.is_business_day(date(2026, 12, 1))  # configured
    assert cal.holiday_name(date(2026, 12, 1)) == "configured holiday"
    assert not cal.is_business_day(date(2026, 11, 11))  # Armistice Day, FR for every lead
    assert cal.holiday_name(date(2026, 11, 11)) == "public holiday in FR"
    # the lead's country: Thanksgiving for a US lead only
    assert cal.is_business_day(date(2026, 11, 26))
    assert not cal.is_business_day(date(2026, 11, 26), "US")
    assert calendar(lead_country_holidays=False).is_business_day(date(2026, 11, 26), "US")
    assert cal.holiday_name(date(2026, 11, 28)) == "Saturday"


def test_an_unknown_country_has_no_holidays_and_lookups_are_cached():
    assert public_holidays("XX", 2026) == frozenset()
    assert calendar().is_business_day(date(2026, 12, 25), "XX")
    assert public_holidays("de", 2026) is public_holidays("DE", 2026)
    assert date(2026, 12, 25) in public_holidays("DE", 2026)


def test_custom_weekdays():
    cal = calendar(weekdays=[7, 1, 2, 3, 4])  # Sunday to Thursday
    assert cal.is_business_day(date(2026, 11, 29)) and not cal.is_business_day(date(2026, 11, 27))


# -- the window ------------------------------------------------------------------------------------


def test_window_opening_in_the_recipients_zone():
    cal = calendar()
    monday_9_berlin = utc(2026, 11, 30, 8)
    assert cal.next_open(utc(2026, 11, 28, 10), BERLIN) == monday_9_berlin  # Saturday -> Monday 09:00
    assert cal.next_open(utc(2026, 11, 30, 6), BERLIN) == monday_9_berlin  # before the start: same day
    assert cal.next_open(monday_9_berlin, BERLIN) == monday_9_berlin  # open: at once
    assert cal.is_open(utc(2026, 11, 30, 15, 59, 59), BERLIN) and not cal.is_open(utc(2026, 11, 30, 16), BERLIN)
    assert cal.next_open(utc(2026, 11, 30, 16), BERLIN) == utc(2026, 12, 1, 8)  # after the end: next day
    assert cal.next_open(utc(2026, 11, 27, 16), BERLIN) == monday_9_berlin  # Friday evening
    # the same instant, New York: Monday 09:00 EST is 14:00 UTC
    assert cal.next_open(utc(2026, 11, 30, 8), NEW_YORK) == utc(2026, 11, 30, 14)
    assert cal.next_open(utc(2026, 11, 28, 10), BERLIN, "DE") == monday_9_berlin


def test_a_disabled_window_is_always_open():
    cal = calendar(enabled=False)
    saturday_night = utc(2026, 11, 28, 23)
    assert cal.is_open(saturday_night, BERLIN) and cal.next_open(saturday_night, BERLIN) == saturday_night


def test_public_holidays_of_the_leads_country_move_the_opening():
    cal = calendar(holidays=[date(2026, 12, 29)])
    christmas_eve_evening = utc(2026, 12, 24, 17)
    assert cal.next_open(christmas_eve_evening, BERLIN, "DE") == utc(2026, 12, 28, 8)
    # GB: Boxing Day falls on a Saturday, so Monday the 28th is the bank holiday; the 29th is configured
    assert cal.next_open(christmas_eve_evening, "Europe/London", "GB") == utc(2026, 12, 30, 9)


@pytest.mark.parametrize(("zone", "friday_evening", "friday_open", "monday_open"), [
    # Berlin: spring forward on Sunday 29 March 2026, fall back on Sunday 25 October 2026
    (BERLIN, utc(2026, 3, 27, 16, 30), utc(2026, 3, 27, 8), utc(2026, 3, 30, 7)),
    (BERLIN, utc(2026, 10, 23, 15, 30), utc(2026, 10, 23, 7), utc(2026, 10, 26, 8)),
    # New York: spring forward on Sunday 8 March 2026, fall back on Sunday 1 November 2026
    (NEW_YORK, utc(2026, 3, 6, 22), utc(2026, 3, 6, 14), utc(2026, 3, 9, 13)),
    (NEW_YORK, utc(2026, 10, 30, 21, 30), utc(2026, 10, 30, 13), utc(2026, 11, 2, 14)),
])
def test_the_window_opens_at_nine_local_on_both_sides_of_a_dst_change(zone, friday_evening, friday_open, monday_open):
    cal = calendar()
    assert cal.is_open(friday_open, zone) and not cal.is_open(friday_evening, zone)  # 09:00 local, old offset
    assert cal.next_open(friday_evening, zone) == monday_open  # 09:00 local, new offset


def test_a_window_start_skipped_by_spring_forward_opens_at_the_first_real_moment():
    cal = calendar(start=time(2, 30), end=time(5, 0), weekdays=[1, 2, 3, 4, 5, 6, 7])
    # 29 March 2026 in Berlin: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist -> 03:30 CEST = 01:30 UTC
    opening = cal.next_open(utc(2026, 3, 28, 23), BERLIN)
    assert opening == utc(2026, 3, 29, 1, 30)
    assert cal.is_open(opening, BERLIN)


# -- business-day arithmetic and follow-ups ---------------------------------------------------------


def test_add_business_days_keeps_the_local_time_of_day():
    cal = calendar()
    thursday_10_berlin = utc(2026, 11, 26, 9)
    assert cal.add_business_days(thursday_10_berlin, 3, BERLIN) == utc(2026, 12, 1, 9)  # Tuesday 10:00
    # across the spring change: Friday 10:00 CET -> Monday 10:00 CEST (an hour earlier in UTC)
    assert cal.add_business_days(utc(2026, 3, 27, 9), 1, BERLIN) == utc(2026, 3, 30, 8)
    # across Christmas in Germany: Wed 23 Dec + 3 = 24, 28, 29
    assert cal.add_business_days(utc(2026, 12, 23, 10), 3, BERLIN, "DE") == utc(2026, 12, 29, 10)
    # sent after hours (a reply at 19:00): the same time n days later is outside the window -> the next opening
    assert cal.add_business_days(utc(2026, 11, 30, 18), 1, BERLIN) == utc(2026, 12, 2, 8)
    # sent on a Saturday (window off for that mail): counting starts at the next business day
    assert cal.add_business_days(utc(2026, 11, 28, 9), 1, BERLIN) == utc(2026, 11, 30, 9)


def test_followup_due_walks_the_cadence_then_waits_the_last_gap():
    outreach = OutreachSettings()  # cadence 3, 5, 8 business days
    sent = utc(2026, 11, 30, 9)  # Monday 10:00 Berlin
    assert followup_due(sent, 0, BERLIN, None, outreach) == utc(2026, 12, 3, 9)  # +3: Thursday
    assert followup_due(sent, 1, BERLIN, None, outreach) == utc(2026, 12, 7, 9)  # +5: next Monday
    assert followup_due(sent, 2, BERLIN, None, outreach) == utc(2026, 12, 10, 9)  # +8: Thursday week
    assert followup_due(sent, 3, BERLIN, None, outreach) == utc(2026, 12, 10, 9)  # the wait after the last
    assert followup_due(sent, 7, BERLIN, None, outreach) == utc(2026, 12, 10, 9)
    custom = OutreachSettings(cadence_business_days=[1])
    # Good Friday and Easter Monday 2026 in Germany: Thursday 2 April + 1 = Tuesday 7 April
    assert followup_due(utc(2026, 4, 2, 9), 0, BERLIN, "DE", custom) == utc(2026, 4, 7, 9)
    assert followup_due(utc(2026, 4, 2, 9), 0, BERLIN, None, custom) == utc(2026, 4, 3, 9)
