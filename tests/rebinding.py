"""DNS rebinding, staged on loopback: a name that resolves to a public address when first asked and to
127.0.0.1 after, and a loopback listener that counts who connects to it."""

import contextlib
import socket
import threading

NAME = "rebind.example"
PUBLIC = "93.184.215.14"


def rebinding_resolver(monkeypatch) -> None:
    """`NAME` answers PUBLIC once, then 127.0.0.1 (what a rebinding DNS server does); other names as usual."""
    real = socket.getaddrinfo
    calls = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != NAME:
            return real(host, port, *args, **kwargs)
        calls.append(host)
        address = PUBLIC if len(calls) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@contextlib.contextmanager
def counting_listener():
    """Yields (port, connections): every connection made to 127.0.0.1:port while the block runs."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    connections: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                connections.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], connections
    finally:
        stop.set()
        thread.join()
        for connection in connections:
            connection.close()
        listener.close()
