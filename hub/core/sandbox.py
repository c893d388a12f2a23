"""Take the network away from a process: what a query worker runs first, whatever the guard decided.

pyoxigraph executes SPARQL `SERVICE` itself, with its own HTTP client, to any address, and has no
switch to stop it. The endpoint refuses SERVICE before a query reaches a worker (hub/sparql/guard.py),
but two parsers that disagree are a hole, so the workers also cannot open a network connection at all.

`deny_network()` installs a seccomp filter on the calling process (every thread of it, and every
process it starts later): `socket()` for any address family but AF_UNIX fails with EACCES, and
`io_uring_setup` (which can open sockets without calling `socket()`) fails with ENOSYS, as on a
kernel without io_uring. AF_UNIX stays open because a worker talks to the server over a socket
pair, and sockets that already exist keep working: call it after the pipes are made. It sets
no_new_privs first (which a filter needs when the process is not root), so it works without root,
and it cannot be undone: the filter lasts until the process exits.

It uses libseccomp (libseccomp.so.2, through PyPI `pyseccomp`, which is ctypes only). Call it from a
process that should never reach the network, before it handles anything a stranger sent:

    from hub.core.sandbox import SandboxUnavailable, deny_network
    try:
        deny_network()
    except SandboxUnavailable as error:
        ...  # fail closed: refuse the work, and say `error` (a sentence) in the answer and the log
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import socket

PR_SET_NO_NEW_PRIVS = 38  # <linux/prctl.h>


class SandboxUnavailable(Exception):
    """The filter could not be installed; the message says why, in a sentence."""


def deny_network() -> None:
    """Makes every later `socket()` but AF_UNIX fail with EACCES in this process; raises
    SandboxUnavailable (and changes nothing else) when the machine cannot do it."""
    _set_no_new_privs()
    try:
        import pyseccomp as seccomp
    except (ImportError, RuntimeError, OSError) as error:
        raise SandboxUnavailable(f"libseccomp could not be loaded ({error}): install libseccomp2 "
                                 "and the pyseccomp package") from None
    try:
        rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        # Every thread that exists now gets the filter too, not only the calling one.
        rules.set_attr(seccomp.Attr.CTL_TSYNC, 1)
        # An allow-list of one family: AF_INET, AF_INET6, AF_PACKET, AF_NETLINK, AF_VSOCK… all refused.
        not_unix = seccomp.Arg(0, seccomp.NE, socket.AF_UNIX)
        rules.add_rule(seccomp.ERRNO(errno.EACCES), "socket", not_unix)
        rules.add_rule(seccomp.ERRNO(errno.EACCES), "socketpair", not_unix)
        rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "io_uring_setup")
        rules.load()
    except (OSError, ValueError) as error:
        raise SandboxUnavailable(f"the kernel refused the seccomp filter that takes the network away "
                                 f"({error}): seccomp may be disabled for this container") from None


def _set_no_new_privs() -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        code = ctypes.get_errno()
        raise SandboxUnavailable(f"the process could not set no_new_privs ({errno.errorcode.get(code, code)}), "
                                 "which a seccomp filter needs without root")
