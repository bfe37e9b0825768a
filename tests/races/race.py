"""Run one action from many threads at once, each on its own database connection, as concurrent requests do."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connection

T = TypeVar("T")

RACERS = 50


def race(action: Callable[[int], T], n: int = RACERS) -> list[T]:
    """`action(i)` for i in 0..n-1, released together by a barrier; the results in index order.

    An exception in an action is returned in its place (the test decides whether it is allowed).
    """
    barrier = threading.Barrier(n)
    results: list[T | BaseException | None] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = action(i)
        except BaseException as exc:  # a 500 for that caller: reported, not lost
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results  # type: ignore[return-value]
