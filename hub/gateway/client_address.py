"""Who is asking: the client address that per-client limits count, behind trusted proxies or not.

Without `serve --trusted-proxy`, the client is the peer of the connection, whatever headers say: a
header anybody can write must not choose whose budget a request spends. When the peer is a trusted
proxy, the client is the right-most address of `X-Forwarded-For` that is not itself a trusted proxy
(each proxy appends the address it saw, so everything left of that may be forged); when every address
there is trusted, the left-most one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fastapi import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(text: str) -> Address | None:
    """An address as a proxy writes it: bare, `a.b.c.d:port`, or `[v6]:port`; None when it is none."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # a dual-stack socket's view of an IPv4 peer
    return address


@dataclass(frozen=True)
class TrustedProxies:
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, specs: Iterable[str]) -> TrustedProxies:
        """From `--trusted-proxy` values (an address or a CIDR network); ValueError says which is wrong."""
        networks: list[Network] = []
        for spec in specs:
            try:
                networks.append(ipaddress.ip_network(spec.strip(), strict=False))
            except ValueError:
                raise ValueError(f"--trusted-proxy takes an IP address or a CIDR network such as 10.0.0.0/8, "
                                 f"not {spec!r}") from None
        return cls(tuple(networks))

    def trusts(self, address: Address | None) -> bool:
        return address is not None and any(address in network for network in self.networks)

    def client(self, peer: str, forwarded_for: Sequence[str] = ()) -> str:
        """The client's address, from the connection's peer and the X-Forwarded-For header values."""
        peer_address = _address(peer)
        if not self.trusts(peer_address):
            return str(peer_address) if peer_address is not None else peer
        hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
        client: Address = peer_address  # type: ignore[assignment]  # trusted, so an address
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                # Not an address: what the proxy saw cannot be told, so the proxy itself answers for it.
                return str(client)
            client = address
            if not self.trusts(address):
                break
        return str(client)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def as_strings(self) -> list[str]:
        return [str(network) for network in self.networks]


def client_address(request: Request) -> str:
    """The address per-client limits count for this request (app.state.trusted_proxies decides)."""
    proxies: TrustedProxies = getattr(request.app.state, "trusted_proxies", None) or TrustedProxies()
    peer = request.client.host if request.client else "unknown"
    return proxies.client(peer, request.headers.getlist("x-forwarded-for"))
