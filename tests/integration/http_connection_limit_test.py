"""The HTTPS connection limit is the configured one ([http] max_connections), not a fixed 1,000.

With max_connections = 3, three TLS clients stay connected and are served; a fourth is closed
at once without a handshake; once one of the three leaves, a new client is served again; and
the server still answers throughout. Python standard library only.
"""

from __future__ import annotations

import os
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from api_test import wait_for_https  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main  # noqa: E402
from pbx_scenario import (checker, finish, provisioned, script_arguments,  # noqa: E402
                          write_config)

LIMIT = 3
problems, check = checker()


def tls_client(address) -> ssl.SSLSocket:
    """A TLS connection to Parley's HTTPS port (its certificate is self-signed)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(address, timeout=3.0)
    try:
        return context.wrap_socket(raw, server_hostname="localhost")
    except (OSError, ssl.SSLError):
        raw.close()
        raise


def served(client: ssl.SSLSocket) -> bool:
    """GET / on `client` gets an HTTP status line back."""
    try:
        client.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n")
        return client.recv(64).startswith(b"HTTP/1.1 ")
    except (OSError, ssl.SSLError):
        return False


def refused(address) -> bool:
    """A new connection is closed before or during its handshake."""
    try:
        client = tls_client(address)
    except (OSError, ssl.SSLError):
        return True
    try:
        return not served(client)
    finally:
        client.close()


def scenario(address) -> None:
    print(f"- {LIMIT} clients connect and are served", flush=True)
    clients = []
    try:
        for i in range(LIMIT):
            clients.append(tls_client(address))
            check(served(clients[-1]), f"client {i + 1} of {LIMIT} was not served")
        print("- one more is closed at once", flush=True)
        check(refused(address), f"connection {LIMIT + 1} was served past max_connections = {LIMIT}")
        print("- after one leaves, a new client is served", flush=True)
        clients.pop().close()
        deadline = time.monotonic() + 3.0
        ok = False
        while not ok and time.monotonic() < deadline:
            try:
                client = tls_client(address)
            except (OSError, ssl.SSLError):
                time.sleep(0.1)
                continue
            ok = served(client)
            if ok:
                clients.append(client)
            else:
                client.close()
                time.sleep(0.1)
        check(ok, "no new client was served within 3 s after one of the three left")
        print("- still full again: the next one is closed", flush=True)
        check(refused(address), "a connection past the limit was served after the slot was reused")
    finally:
        for client in clients:
            client.close()


def main() -> int:
    args = script_arguments(__doc__)
    with provisioned(args.parley, "parley-http-limit-", {"1001": "pw-1001-secret"}) as (tmp, data):
        config = write_config(tmp, f"[http]\nmax_connections = {LIMIT}\n")
        with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
            try:
                scenario(wait_for_https(server))
            except HarnessError as error:
                check(False, str(error))
            finish(server, problems, check)
    return report(problems, f"HTTPS served {LIMIT} connections and closed the ones beyond")


if __name__ == "__main__":
    run_main(main)
