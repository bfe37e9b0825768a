"""Sharing a session's minutes between regions: by weight, never below the shortest segment."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction


def apportion(total: int, weights: Sequence[int], minimum: int) -> list[int]:
    """Whole minutes in proportion to `weights`, summing exactly to `total`, none below `minimum`.

    Entries whose share would fall below the minimum are held at the minimum and the rest is shared
    again among the others; rounding uses the largest remainder, ties to the earlier entry, so the
    answer is deterministic. Needs ``len(weights) * minimum <= total``.
    """
    n = len(weights)
    if n == 0 or min(weights) <= 0:
        raise ValueError("apportion needs one or more positive weights")
    if n * minimum > total:
        raise ValueError(f"{n} segments of at least {minimum} minutes do not fit in {total}")
    held: set[int] = set()
    while True:
        free = [i for i in range(n) if i not in held]
        remaining = total - minimum * len(held)
        weight_sum = sum(weights[i] for i in free)
        quotas = {i: Fraction(remaining * weights[i], weight_sum) for i in free}
        below = {i for i in free if quotas[i] < minimum}
        if not below:
            break
        # Safe: the free entries' mean quota is >= minimum, so not all of them fall below it.
        held |= below
    out = [minimum] * n
    for i in free:
        out[i] = math.floor(quotas[i])
    leftover = remaining - sum(out[i] for i in free)
    by_remainder = sorted(free, key=lambda i: (-(quotas[i] - math.floor(quotas[i])), i))
    for i in by_remainder[:leftover]:
        out[i] += 1
    return out


def nearest_minute(value: Fraction) -> int:
    """A share of minutes to the nearest whole minute, halves up (67 % of 50 min is 34 min)."""
    return math.floor(value + Fraction(1, 2))
