"""HTTP to addresses that users choose (a facility's webhook, a remote dataset record's file links):
public addresses only, and the connection goes to the address that was checked.

Checking a name and then letting the HTTP client resolve it again leaves a gap: a name that answers
first with a public address and then with 127.0.0.1 (DNS rebinding) passes the check and reaches a
local service. `PublicOnlyTransport` resolves each request's host once, refuses it if any address is
not public, and connects to the checked address, with the name kept for the Host header and for TLS
(SNI and certificate checks). Redirects go through it again, one by one.
"""

import ipaddress
import socket

import httpx

NAT64 = ipaddress.ip_network("64:ff9b::/96")  # 6to4 and Teredo: ipaddress reads those itself


class RefusedAddress(httpx.TransportError):
    """The host is not public (or cannot be found); the message says which address and why."""


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address that an IPv6 address carries to a gateway (mapped, NAT64, 6to4, Teredo), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def why_not_public(address: str) -> str:
    """'' for a public unicast address, else the reason."""
    ip = ipaddress.ip_address(address.split("%")[0])
    # The embedded address first: Python releases disagree on whether 6to4 space is itself private.
    inner = embedded_ipv4(ip) if ip.version == 6 else None
    if inner is not None and (not inner.is_global or inner.is_multicast):
        return f"{ip} leads to the private or local address {inner}"
    if not ip.is_global or ip.is_multicast:
        return f"{ip} is a private or local address"
    return ""


def resolve_public(host: str, port: int) -> str:
    """The first address of `host` if every address it has is public; RefusedAddress otherwise."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise RefusedAddress(f"{host} could not be found ({error}).") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        reason = why_not_public(address)
        if reason:
            raise RefusedAddress(f"Refusing {host}: {reason}.")
    if not addresses:
        raise RefusedAddress(f"{host} could not be found.")
    return addresses[0]


class PublicOnlyTransport(httpx.BaseTransport):
    """httpx's transport, sending each request to its host's checked public address."""

    def __init__(self, *, schemes: tuple[str, ...] = ("https",), **transport_options):
        self.schemes = schemes
        self._inner = httpx.HTTPTransport(**transport_options)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in self.schemes:
            raise RefusedAddress(f"Refusing {url.scheme}:// addresses ({url.host}); only {', '.join(self.schemes)}.")
        host = url.host
        address = resolve_public(host, url.port or (443 if url.scheme == "https" else 80))
        # The Host header was set from the name when the request was built; TLS checks the certificate
        # against the name too (httpcore's sni_hostname), while the socket goes to the checked address.
        request.url = url.copy_with(host=address)
        if url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": host}
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()
