"""The relay's per-person and per-address limits on a fake clock: both buckets must have a
token, a refusal costs nothing and names the wait, and churn cannot grow memory."""

from __future__ import annotations

import pytest

from server import rate_limits
from server.rate_limits import Rate, RateLimitPolicy, RateLimits, network_of, retry_after_text


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limits_with(clock: Clock, person: Rate, address: Rate) -> RateLimits:
    return RateLimits(RateLimitPolicy({"report": (person, address)}), clock)


def test_a_person_is_held_to_their_rate_across_addresses_and_told_the_wait():
    clock = Clock()
    limits = limits_with(clock, Rate(0.5, 2), Rate(100.0, 100))
    assert limits.check("report", "ann", "10.0.0.1") is None
    assert limits.check("report", "ann", "10.0.0.2") is None  # another network, same person
    wait_s = limits.check("report", "ann", "10.0.0.3")
    assert wait_s == pytest.approx(2.0)
    clock.now += 2.0
    assert limits.check("report", "ann", "10.0.0.3") is None


def test_an_address_is_held_to_its_rate_whoever_comes_from_it():
    clock = Clock()
    limits = limits_with(clock, Rate(100.0, 100), Rate(1.0, 3))
    for n in range(3):
        assert limits.check("report", f"throwaway-{n}", "10.0.0.9") is None
    assert limits.check("report", "throwaway-3", "10.0.0.9") == pytest.approx(1.0)
    assert limits.check("report", "throwaway-3", "10.0.0.10") is None


def test_a_refusal_spends_nothing():
    clock = Clock()
    limits = limits_with(clock, Rate(1.0, 1), Rate(1.0, 5))
    assert limits.check("report", "ann", "a") is None
    for _ in range(10):
        assert limits.check("report", "ann", "a") is not None  # refused by the person bucket
    # The address bucket was not charged for the refusals: four more people get through.
    for n in range(4):
        assert limits.check("report", f"p{n}", "a") is None


def test_churn_forgets_buckets_that_refilled(monkeypatch):
    monkeypatch.setattr(rate_limits, "MAX_BUCKETS", 100)
    clock = Clock()
    limits = limits_with(clock, Rate(1.0, 1), Rate(1.0, 1))
    for n in range(1000):
        limits.check("report", f"p{n}", f"addr{n}")
        clock.now += 0.01
    assert len(limits._buckets) <= 100


def test_reminders_count_a_few_clients_per_address_and_room():
    limits = RateLimits(RateLimitPolicy(reminders_per_address=2))
    assert limits.reminder("room", "a", "c1") and limits.reminder("room", "a", "c2")
    assert limits.reminder("room", "a", "c1")  # the same client again is fine
    assert not limits.reminder("room", "a", "c3")
    assert limits.reminder("room", "b", "c3") and limits.reminder("other", "a", "c3")


def test_waits_read_as_whole_seconds_rounded_up():
    assert retry_after_text(0.01) == "1 s"
    assert retry_after_text(4.2) == "5 s"


def test_an_ipv6_64_counts_as_one_address():
    assert (
        network_of("2001:db8:1:2::5") == network_of("2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    )
    assert network_of("2001:db8:1:3::5") != network_of("2001:db8:1:2::5")
    assert network_of("::ffff:10.0.0.1") == network_of("10.0.0.1") == "10.0.0.1"
    assert network_of("not an address") == "not an address"
