"""Bounds a child process sets on itself: its address space, and dying with the process that forked it.

A query worker runs a stranger's query: without a memory cap one `ORDER BY` over a cross join took
9.5 GB within its deadline, and without a tie to its parent a worker of a server killed with SIGKILL
ran on with its query (parent 1, ~700 MB each). Linux only, like the rest of the hub's process model.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent() -> bool:
    """Asks the kernel to SIGKILL this process when the thread that forked it ends.

    Call it only in a process whose parent forks from a thread that lives as long as the parent (a
    forkserver is single-threaded): the signal follows the forking thread, not the whole process.
    Returns False where prctl is not available. If the parent is already gone, exits at once.
    """
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    # The parent may have died between the fork and the prctl: then nobody will send the signal.
    if os.getppid() != parent or parent == 1:
        os._exit(0)
    return True


def let_forkserver_end() -> None:
    """In a child of the forkserver: lets go of the pipe by which the forkserver knows a server lives.

    The forkserver ends when every write end of that pipe is closed, and multiprocessing hands one to
    each child it forks (so that the child could start processes of its own). A worker busy with a
    runaway query thus kept the forkserver alive after its server was killed, and the forkserver kept
    the worker alive in turn (die_with_parent). A query worker never starts processes: it closes its copy.
    """
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    fd = getattr(server, "_forkserver_alive_fd", None)
    if isinstance(fd, int):
        try:
            os.close(fd)
        except OSError:
            pass
        server._forkserver_alive_fd = None  # type: ignore[union-attr]


def lower_limit(kind: int, soft: int, hard: int) -> None:
    """Sets a resource limit, never above the one inherited (a check worker's child inherits its limits,
    and a process cannot raise its hard limit)."""
    _, inherited = resource.getrlimit(kind)
    if inherited != resource.RLIM_INFINITY:
        soft, hard = min(soft, inherited), min(hard, inherited)
    resource.setrlimit(kind, (soft, hard))


def cap_address_space(limit: int) -> int:
    """Caps this process's address space at `limit` bytes (never above a cap it already has).

    Past it, allocations fail: Rust code (pyoxigraph) aborts the process, Python raises MemoryError.
    Returns the cap in force.
    """
    lower_limit(resource.RLIMIT_AS, limit, limit)
    return resource.getrlimit(resource.RLIMIT_AS)[0]


def physical_memory() -> int | None:
    """The machine's RAM in bytes, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return None
