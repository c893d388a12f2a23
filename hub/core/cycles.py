"""Python's cycle collector, switched off while millions of long-lived objects are made.

A harvest's split and the gateway index's unpickling allocate millions of small lists, tuples and
dataclasses that live on: the cycle collector would walk them all again and again (it doubled the
time of splitting a 100k-record feed, and made unpickling a 100k-item index take 5 s instead of 1 s),
and they hold no cycles worth finding. Reference counting still frees what is dropped.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_cycle_collector() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
