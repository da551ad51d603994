"""The password-guess throttle: budgets per (address, name), per address and overall."""

from __future__ import annotations

import pytest

from web.throttle import MAX_TRACKED, UNDER_ATTACK_AFTER, LoginThrottle, address_key

ATTACKER = "192.168.1.66"
STATION = "127.0.0.1"
PHONE = "192.168.1.20"


class FakeMonotonic:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


def fail(throttle: LoginThrottle, address: str, name: str, times: int = 1) -> None:
    for _ in range(times):
        if throttle.begin(address, name) == 0:
            throttle.finish(address, name, succeeded=False)


def fail_from_many(throttle: LoginThrottle, name: str, count: int) -> None:
    """Fail once each from `count` different addresses, as an attacker taking many IPs."""
    for n in range(count):
        fail(throttle, f"10.0.{n // 250}.{n % 250 + 1}", name)


# (what happened, who asks next, may they try now)
SCENARIOS = [
    pytest.param([], (ATTACKER, "admin"), True, id="nothing-yet"),
    pytest.param([(ATTACKER, "admin", 4)], (ATTACKER, "admin"), True, id="four-failures"),
    pytest.param([(ATTACKER, "admin", 5)], (ATTACKER, "admin"), False, id="five-lock-the-pair"),
    pytest.param([(ATTACKER, "admin", 5)], (STATION, "admin"), True, id="station-unaffected"),
    pytest.param([(ATTACKER, "admin", 5)], (PHONE, "admin"), True, id="other-address-unaffected"),
    pytest.param([(ATTACKER, "admin", 5)], (ATTACKER, "op"), True, id="other-name-same-address"),
    pytest.param(
        [(ATTACKER, f"name{n}", 1) for n in range(20)],
        (ATTACKER, "admin"),
        False,
        id="twenty-names-lock-the-address",
    ),
    pytest.param(
        [(ATTACKER, f"name{n}", 1) for n in range(20)],
        (PHONE, "admin"),
        True,
        id="address-lock-is-its-own",
    ),
    pytest.param(
        [("2001:db8:1:2::5", "admin", 5)],
        ("2001:db8:1:2::99", "admin"),
        False,
        id="ipv6-counts-by-64",
    ),
    pytest.param(
        [("2001:db8:1:2::5", "admin", 5)],
        ("2001:db8:1:3::5", "admin"),
        True,
        id="other-ipv6-network",
    ),
]


@pytest.mark.parametrize(("history", "asker", "may_try"), SCENARIOS)
def test_budgets(
    history: list[tuple[str, str, int]], asker: tuple[str, str], may_try: bool
) -> None:
    throttle = LoginThrottle(clock=FakeMonotonic())
    for address, name, times in history:
        fail(throttle, address, name, times)
    assert (throttle.begin(*asker) == 0) is may_try


@pytest.mark.parametrize(
    ("failures", "minutes_later", "may_try"),
    [
        pytest.param(5, 14, False, id="locked-for-15-minutes"),
        pytest.param(5, 15, True, id="free-after-15-minutes"),
    ],
)
def test_a_pair_lock_ends(failures: int, minutes_later: int, may_try: bool) -> None:
    clock = FakeMonotonic()
    throttle = LoginThrottle(clock=clock)
    fail(throttle, ATTACKER, "admin", failures)
    clock.value += minutes_later * 60
    assert (throttle.begin(ATTACKER, "admin") == 0) is may_try


def test_failures_spread_wider_than_the_window_never_lock() -> None:
    clock = FakeMonotonic()
    throttle = LoginThrottle(clock=clock)
    for _ in range(10):
        fail(throttle, ATTACKER, "admin")
        clock.value += 4 * 60  # five never fall inside 15 minutes
    assert throttle.begin(ATTACKER, "admin") == 0


def test_a_success_clears_the_pairs_failures() -> None:
    throttle = LoginThrottle(clock=FakeMonotonic())
    fail(throttle, PHONE, "op", 4)
    assert throttle.begin(PHONE, "op") == 0
    throttle.finish(PHONE, "op", succeeded=True)
    fail(throttle, PHONE, "op", 4)  # a fresh budget of 5
    assert throttle.begin(PHONE, "op") == 0


def test_attempts_in_progress_count_so_parallel_requests_cannot_pass_the_budget() -> None:
    throttle = LoginThrottle(clock=FakeMonotonic())
    allowed = [throttle.begin(ATTACKER, "admin") == 0 for _ in range(50)]
    assert allowed.count(True) == 5


def test_many_addresses_put_the_panel_under_attack_and_shrink_every_budget() -> None:
    clock = FakeMonotonic()
    throttle = LoginThrottle(clock=clock)
    fail_from_many(throttle, "admin", UNDER_ATTACK_AFTER)
    assert throttle.under_attack()
    fail(throttle, "10.9.9.9", "admin", 2)  # a fresh attacker address: two guesses only
    assert throttle.begin("10.9.9.9", "admin") >= 59 * 60
    # The station is a fresh address too: it may try, and the right password works.
    assert throttle.begin(STATION, "admin") == 0
    throttle.finish(STATION, "admin", succeeded=True)
    clock.value += 15 * 60
    assert not throttle.under_attack()


def test_the_station_never_gets_less_than_a_fresh_attacker_address() -> None:
    throttle = LoginThrottle(clock=FakeMonotonic())
    fail_from_many(throttle, "admin", 500)  # far past the threshold, from 500 addresses
    fail(throttle, STATION, "admin")  # the admin mistypes once
    assert throttle.begin(STATION, "admin") == 0  # and still has a try left


def test_many_made_up_names_do_not_grow_memory_without_bound() -> None:
    clock = FakeMonotonic()
    throttle = LoginThrottle(clock=clock)
    for n in range(MAX_TRACKED // 2 + 1):
        fail(throttle, f"10.{n // 62500}.{n // 250 % 250}.{n % 250 + 1}", "admin")
    clock.value += 61 * 60
    fail(throttle, ATTACKER, "late")
    assert len(throttle._counters) <= 3  # the late pair, its address, maybe nothing else


@pytest.mark.parametrize(
    ("address", "key"),
    [
        pytest.param("192.168.1.66", "192.168.1.66", id="ipv4"),
        pytest.param("2001:db8:1:2:aa:bb:cc:dd", "2001:db8:1:2::/64", id="ipv6-by-64"),
        pytest.param("::ffff:192.168.1.66", "192.168.1.66", id="ipv4-mapped"),
        pytest.param("fe80::1", "fe80::1", id="link-local-whole"),
        pytest.param("::1", "::1", id="loopback"),
        pytest.param(None, "unknown", id="none"),
        pytest.param("not an address", "unknown", id="garbage"),
    ],
)
def test_address_key(address: str | None, key: str) -> None:
    assert address_key(address) == key
