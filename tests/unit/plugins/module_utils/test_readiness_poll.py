"""Polling until the verdict passes, driven by a fake clock (no real waiting)."""

import pytest

from ansible_collections.esdb.cluster.plugins.module_utils.readiness_poll import poll_until_passed


class FakeClock:
    """time.monotonic and time.sleep that only move when told."""

    def __init__(self, check_cost=0.0):
        self.now = 1000.0
        self.check_cost = check_cost
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


def checks_that_pass_at(clock, ready_at):
    """A cluster that becomes ready at clock time ready_at; each check costs check_cost."""
    calls = []

    def check():
        calls.append(clock.now)
        clock.now += clock.check_cost
        return {'passed': clock.now >= ready_at, 'at': clock.now}
    return check, calls


def test_wait_timeout_zero_checks_once():
    clock = FakeClock()
    check, calls = checks_that_pass_at(clock, ready_at=float('inf'))
    result, iterations, elapsed = poll_until_passed(check, 0, 1, clock.clock, clock.sleep)
    assert (result['passed'], iterations, elapsed, clock.sleeps) == (False, 1, 0.0, [])


def test_returns_at_once_when_already_passing():
    clock = FakeClock()
    check = checks_that_pass_at(clock, ready_at=0)[0]
    assert poll_until_passed(check, 60, 1, clock.clock, clock.sleep)[1:] == (1, 0.0)
    assert clock.sleeps == []


@pytest.mark.parametrize('ready_after, interval', [(0.3, 1.0), (4.5, 1.0), (7.01, 2.0), (29.9, 5.0)])
def test_returns_within_one_interval_of_becoming_ready(ready_after, interval):
    clock = FakeClock(check_cost=0.05)
    check, calls = checks_that_pass_at(clock, ready_at=clock.now + ready_after)
    result, iterations, elapsed = poll_until_passed(check, 60, interval, clock.clock, clock.sleep)
    assert result['passed'] is True
    assert iterations == len(calls)
    # Seen by the first check that starts after the cluster became ready, at most one interval later.
    assert ready_after <= elapsed <= ready_after + interval + clock.check_cost
    assert all(s <= interval for s in clock.sleeps)


def test_gives_up_at_the_deadline_with_a_final_check():
    clock = FakeClock(check_cost=0.1)
    check, calls = checks_that_pass_at(clock, ready_at=float('inf'))
    result, iterations, elapsed = poll_until_passed(check, 3.5, 1, clock.clock, clock.sleep)
    assert result['passed'] is False
    # Checks start at 0, 1.1, 2.2, 3.3 and, after a short sleep, exactly at the deadline.
    assert iterations == 5
    assert clock.sleeps == pytest.approx([1, 1, 1, 0.1])
    assert elapsed == pytest.approx(3.6)
    assert calls[-1] == pytest.approx(1000 + 3.5)


def test_slow_checks_do_not_overshoot_by_more_than_one_check():
    clock = FakeClock(check_cost=2.0)
    check = checks_that_pass_at(clock, ready_at=float('inf'))[0]
    iterations, elapsed = poll_until_passed(check, 5, 1, clock.clock, clock.sleep)[1:]
    assert iterations == 2 and elapsed == pytest.approx(5.0)


def test_defaults_check_once_and_sleep_one_second_between_checks():
    clock = FakeClock()
    calls = []

    def never():
        calls.append(clock.now)
        return {'passed': False}
    iterations = poll_until_passed(never, clock=clock.clock, sleep=clock.sleep)[1]
    assert (iterations, clock.sleeps) == (1, [])
    poll_until_passed(never, wait_timeout=2.5, clock=clock.clock, sleep=clock.sleep)
    assert clock.sleeps == [1.0, 1.0, 0.5]
