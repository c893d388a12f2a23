"""Who is asking (hub/gateway/client_address.py): the peer, unless it is a trusted proxy."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub.cli import main
from hub.core.config import Settings
from hub.gateway.app import create_app
from hub.gateway.client_address import TrustedProxies
from hub.gateway.validate import RateLimiter
from tests.conftest import BASE

PROXIES = TrustedProxies.parse(["127.0.0.1", "10.0.0.0/8", "fd00::/8"])


def test_without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() -> None:
    nobody = TrustedProxies()
    assert nobody.client("203.0.113.5", ["198.51.100.1"]) == "203.0.113.5"
    assert nobody.client("127.0.0.1", ["198.51.100.1"]) == "127.0.0.1"
    assert PROXIES.client("203.0.113.5", ["198.51.100.1"]) == "203.0.113.5"  # an untrusted peer's header


@pytest.mark.parametrize(("forwarded", "client"), [
    ([], "127.0.0.1"),  # a trusted peer with no header speaks for itself
    (["198.51.100.1"], "198.51.100.1"),
    (["198.51.100.1, 10.1.2.3"], "198.51.100.1"),  # through two proxies
    (["6.6.6.6, 198.51.100.1"], "198.51.100.1"),  # the left part is the client's own, possibly forged
    (["6.6.6.6", "198.51.100.1, 10.0.0.9"], "198.51.100.1"),  # several header lines read as one list
    (["10.0.0.1, 10.0.0.2"], "10.0.0.1"),  # all trusted: the left-most
    (["198.51.100.1:4711"], "198.51.100.1"),
    (["[2001:db8::1]:443"], "2001:db8::1"),
    (["::ffff:198.51.100.1"], "198.51.100.1"),
    (["unknown"], "127.0.0.1"),  # not an address: the proxy answers for it
    (["198.51.100.1, garbage, 10.0.0.3"], "10.0.0.3"),
])
def test_behind_trusted_proxies_the_right_most_untrusted_address_is_the_client(forwarded: list[str],
                                                                               client: str) -> None:
    assert PROXIES.client("127.0.0.1", forwarded) == client


def test_peers_are_compared_as_addresses() -> None:
    assert PROXIES.client("::ffff:127.0.0.1", ["198.51.100.1"]) == "198.51.100.1"
    assert PROXIES.client("fd12::5", ["2001:db8::7"]) == "2001:db8::7"
    assert PROXIES.client("testclient", ["198.51.100.1"]) == "testclient"  # not an address: never trusted


def test_bad_trusted_proxies_are_refused_with_the_value() -> None:
    with pytest.raises(ValueError, match="'proxy.example'"):
        TrustedProxies.parse(["proxy.example"])
    assert TrustedProxies.parse(["10.0.0.1/8"]).as_strings() == ["10.0.0.0/8"]


def test_serve_refuses_a_bad_trusted_proxy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data", str(tmp_path), "serve", "--trusted-proxy", "proxy.example"]) == 2
    assert "--trusted-proxy takes an IP address or a CIDR network" in capsys.readouterr().err


def test_the_validate_rate_limit_counts_the_client_behind_a_trusted_proxy(tmp_path: Path) -> None:
    settings = Settings(sources_path=Path("examples/sources.toml"), data_dir=tmp_path / "data", base_iri=BASE)
    app = create_app(settings, trusted_proxies=TrustedProxies.parse(["127.0.0.1"]))
    app.state.validate_limiter = RateLimiter(limit=1)
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        def check(forwarded: str) -> int:
            # An empty document: refused after the rate limit is counted, without a costly check.
            return client.post("/api/validate", content=b"", headers={"X-Forwarded-For": forwarded}).status_code

        assert check("198.51.100.1") == 400
        assert check("198.51.100.1") == 429
        assert check("198.51.100.2") == 400  # another client behind the same proxy has its own budget


def test_without_a_trusted_proxy_a_forwarded_header_escapes_no_budget(tmp_path: Path) -> None:
    settings = Settings(sources_path=Path("examples/sources.toml"), data_dir=tmp_path / "data", base_iri=BASE)
    app = create_app(settings)
    app.state.validate_limiter = RateLimiter(limit=1)
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        first = client.post("/api/validate", content=b"", headers={"X-Forwarded-For": "198.51.100.1"})
        second = client.post("/api/validate", content=b"", headers={"X-Forwarded-For": "198.51.100.2"})
        assert (first.status_code, second.status_code) == (400, 429)
