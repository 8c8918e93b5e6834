# -*- coding: utf-8 -*-
# Copyright: esdb.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Repeat a check until it passes or the time runs out.

The clock and sleep are parameters so tests can drive the loop with a fake
clock instead of waiting in real time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time


def poll_until_passed(check, wait_timeout=0.0, interval=1.0, clock=time.monotonic, sleep=time.sleep):
    """Run check() until its result has passed=True or wait_timeout seconds have gone.

    Checks once when wait_timeout is 0. Sleeps at most one interval between
    checks, and never past the deadline, so a cluster that becomes ready is
    seen within one interval. Returns (last result, iterations, elapsed seconds).
    """
    started = clock()
    deadline = started + max(0.0, wait_timeout)
    iterations = 0
    while True:
        result = check()
        iterations += 1
        now = clock()
        if result.get('passed') or now >= deadline:
            return result, iterations, now - started
        sleep(min(interval, deadline - now))
