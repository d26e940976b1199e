"""The order cases take turns in, run after run: every case right after every other equally
often.

A run depends on the one before it (the memory and the disk it left behind: in
benchmarks/cli.py, a download right after curl's, whose one 262 MB file the next run's
preparation deletes, took 0.47 s where the same command took 0.35 s elsewhere). Rotating one
order (each run starting one case later, as the benchmarks did until 3 December 2026) does not
spread that: a rotation keeps every case's neighbours, so one case kept following the same
other in most runs. These orders are a Williams design instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

__all__ = ["balanced_orders", "in_turns"]

T = TypeVar("T")


def balanced_orders(count: int) -> list[list[int]]:
    """Orders of ``count`` cases in which each case comes right after each other one equally
    often: ``count`` orders for an even count, twice as many for an odd one (the second half
    reversed)."""
    if count < 2:
        return [list(range(count))]
    first, low, high = [0], 1, count - 1
    while len(first) < count:
        first.append(low)
        low += 1
        if len(first) < count:
            first.append(high)
            high -= 1
    orders = [[(case + shift) % count for case in first] for shift in range(count)]
    if count % 2:
        orders += [order[::-1] for order in orders]
    return orders


def in_turns(cases: Sequence[T], runs: int) -> Iterator[T]:
    """Each of ``cases`` ``runs`` times, run after run in the orders of
    :func:`balanced_orders`."""
    orders = balanced_orders(len(cases))
    for run in range(runs):
        for index in orders[run % len(orders)]:
            yield cases[index]
