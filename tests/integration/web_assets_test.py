#!/usr/bin/env python3
"""Issue 8, verified assets at run time: `parley serve` serves the web app only as its manifest
describes it.

A small web folder with its web-manifest.json (made by `parley release manifest`); the server
serves it. Then one byte of a script changes while the server runs: that file is refused with
500 and one log line naming it, the untouched files are still served. A restart names the
changed file at start-up. With a release public key configured, an unsigned manifest means
nothing of the web app is served; a signed one is served; a manifest changed after signing is
refused.
"""
from __future__ import annotations

import argparse
import os
import ssl
import sys
import tempfile
import time
import http.client

from parley_harness import ParleyServer, report, run_main, run_parley


def fetch(address: tuple[str, int], path: str) -> tuple[int, bytes]:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the server's certificate is self-signed
    connection = http.client.HTTPSConnection(address[0], address[1], context=context, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_for_https(server: ParleyServer) -> tuple[str, int]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if "https" in server.sockets:
            return server.sockets["https"]
        time.sleep(0.05)
    raise RuntimeError("no 'listening https' line")


def write(path: str, content: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(content)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parley", required=True)
    parser.add_argument("--data-dir", required=True)
    args = parser.parse_args()
    problems: list[str] = []

    def check(condition: bool, message: str) -> None:
        print(("ok   " if condition else "FAIL ") + message)
        if not condition:
            problems.append(message)

    with tempfile.TemporaryDirectory(prefix="parley-assets-") as tmp:
        web = os.path.join(tmp, "web")
        write(os.path.join(web, "index.html"), b"<!doctype html><title>Parley</title>\n")
        write(os.path.join(web, "assets", "app-1.js"), b"console.log('parley');\n")
        write(os.path.join(web, "assets", "style-1.css"), b"body{margin:0}\n")
        manifest = os.path.join(tmp, "web-manifest.json")
        made = run_parley(args.parley, ["release", "manifest", "--root", web, "--out", manifest])
        check(made.returncode == 0, f"web manifest written ({made.stderr.strip()})")
        config = os.path.join(tmp, "parley.toml")
        with open(config, "w", encoding="utf-8") as f:
            f.write(f'[http]\nweb_root = "{web}"\n')

        with ParleyServer(args.parley, args=["--config", config]) as server:
            address = wait_for_https(server)
            status, body = fetch(address, "/assets/app-1.js")
            check(status == 200 and body == b"console.log('parley');\n", "untouched script served")
            # One byte changed while the server runs.
            write(os.path.join(web, "assets", "app-1.js"), b"console.log('pArley');\n")
            status, body = fetch(address, "/assets/app-1.js")
            check(status == 500, f"changed script refused with 500 (got {status})")
            check(b"pArley" not in body, "changed bytes never sent")
            status, _ = fetch(address, "/assets/style-1.css")
            check(status == 200, "other assets still served")
            time.sleep(0.2)
            log = server.stderr_text()
            naming = [line for line in log.splitlines() if "assets/app-1.js" in line]
            check(len(naming) >= 1, "the refusal is logged naming the file")

        with ParleyServer(args.parley, args=["--config", config]) as server:
            wait_for_https(server)
            time.sleep(0.2)
            log = server.stderr_text()
            check("changed: assets/app-1.js" in log, "start-up check names the changed file")

        # A release key: the manifest must carry its signature.
        write(os.path.join(web, "assets", "app-1.js"), b"console.log('parley');\n")
        keys = os.path.join(tmp, "keys")
        made = run_parley(args.parley, ["release", "keygen", "--out", keys])
        check(made.returncode == 0, "release key made")
        with open(config, "a", encoding="utf-8") as f:
            f.write(f'\n[trust]\nrelease_pubkey = "{keys}/parley-release.pub"\n')
        with ParleyServer(args.parley, args=["--config", config]) as server:
            address = wait_for_https(server)
            status, _ = fetch(address, "/index.html")
            check(status == 404, f"unsigned manifest: web app not served (got {status})")
            check("signature" in server.stderr_text(), "the missing signature is logged")
        signed = run_parley(args.parley, ["release", "sign", "--key", f"{keys}/parley-release.key",
                                          "--manifest", manifest])
        check(signed.returncode == 0, f"manifest signed ({signed.stderr.strip()})")
        with ParleyServer(args.parley, args=["--config", config]) as server:
            address = wait_for_https(server)
            status, _ = fetch(address, "/assets/app-1.js")
            check(status == 200, f"signed manifest: script served (got {status})")
        with open(manifest, "r+", encoding="utf-8") as f:
            text = f.read().replace('"size": 23', '"size": 24', 1)
            f.seek(0)
            f.write(text)
            f.truncate()
        with ParleyServer(args.parley, args=["--config", config]) as server:
            address = wait_for_https(server)
            status, _ = fetch(address, "/assets/app-1.js")
            check(status == 404, f"manifest changed after signing: nothing served (got {status})")
            check("bad signature" in server.stderr_text(), "the bad signature is logged")

    return report(problems, "the web app is served only as its manifest describes it")


if __name__ == "__main__":
    run_main(main)
