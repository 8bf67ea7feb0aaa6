#!/usr/bin/env python3
"""A long call recording downloaded over the REST API of the real `parley serve` (HTTPS, SQLite):
the server streams it from the open file instead of reading it whole (issue 9).

Set-up: tenant example.com with the tenant admin boss; a 60 MiB file in the data folder's
recordings/ and its row in the recordings table (written with sqlite3 before the server starts,
as the recording writer would have left it).
1. GET its audio_url whole, hashed while it arrives: the SHA-256 equals the file's, and the
   server's peak resident memory (VmHWM in /proc/PID/status) rises by far less than the file.
2. Ranges at the end of the file: the last byte, a suffix, a first- range running to the end
   (206 with the right Content-Range), and one starting at the size (416, Content-Range */size).
3. The file deleted while a download is under way: that download still completes with the
   right bytes (the server holds the file open); the next request for it gets 404.

Parley's RTP ports are 57000-57099.
"""

import hashlib
import http.client
import os
import sqlite3
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from api_test import Client, wait_for_https  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main, run_parley  # noqa: E402
from pbx_scenario import checker, media_config, provisioned, script_arguments  # noqa: E402

DOMAIN = "example.com"
BOSS_PASSWORD = "boss-password-123"
SIZE = 60 * 1024 * 1024
READ_BYTES = 1024 * 1024
problems, check = checker()


def setup(parley, data):
    for argv in (["tenant", "add", DOMAIN, "--default"],
                 ["admin", "add", "boss", "--tenant", DOMAIN, "--password", BOSS_PASSWORD]):
        result = run_parley(parley, [*argv, "--data", data], timeout=30)
        if result.returncode != 0:
            raise HarnessError(f"parley {' '.join(argv)} failed: {result.stderr}")


def write_recording(data):
    """The 60 MiB file (a repeated pseudo-random MiB, so that a misplaced chunk shows) and its
    row; returns (row id, SHA-256 of the file, the file's bytes at its end)."""
    folder = os.path.join(data, "recordings", DOMAIN, "2026", "12")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "long-call.wav")
    block = os.urandom(READ_BYTES)
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        for index in range(SIZE // READ_BYTES):
            piece = index.to_bytes(8, "big") + block[8:]
            f.write(piece)
            digest.update(piece)
    tail = piece[-1000:]
    database = sqlite3.connect(os.path.join(data, "parley.db"))
    try:
        tenant = database.execute("SELECT id FROM tenants WHERE domain = ?", (DOMAIN,)).fetchone()
        cursor = database.execute(
            "INSERT INTO recordings (tenant_id, call_id, caller, callee, path, size_bytes, "
            "duration_ms, started_at) VALUES (?, 'long@test', '1001', '1002', ?, ?, 3932160, ?)",
            (tenant[0], path, SIZE, int(time.time() * 1000)))
        database.commit()
        return cursor.lastrowid, digest.hexdigest(), tail, path
    finally:
        database.close()


def peak_memory_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise HarnessError("no VmHWM line")


def open_download(address, boss, path, headers=None):
    connection = http.client.HTTPSConnection(address[0], address[1], context=boss.context,
                                             timeout=10)
    connection.request("GET", path, headers={"Cookie": boss.cookie, **(headers or {})})
    return connection, connection.getresponse()


def hash_rest(answer, digest, limit_s=60.0):
    deadline = time.monotonic() + limit_s
    received = 0
    while time.monotonic() < deadline:
        piece = answer.read(READ_BYTES)
        if not piece:
            break
        digest.update(piece)
        received += len(piece)
    return received


def whole(address, boss, url, sha, pid):
    print("- the whole file, hashed as it arrives; the server's peak memory stays low", flush=True)
    before = peak_memory_kib(pid)
    started = time.monotonic()
    connection, answer = open_download(address, boss, url)
    try:
        check(answer.status == 200, f"GET audio: {answer.status}")
        check(answer.getheader("Content-Length") == str(SIZE),
              f"Content-Length {answer.getheader('Content-Length')}, expected {SIZE}")
        digest = hashlib.sha256()
        received = hash_rest(answer, digest)
    finally:
        connection.close()
    after = peak_memory_kib(pid)
    check(received == SIZE, f"received {received} bytes of {SIZE}")
    check(digest.hexdigest() == sha, "the downloaded bytes differ from the file")
    rise = after - before
    print(f"  {SIZE >> 20} MiB in {time.monotonic() - started:.2f} s; "
          f"server VmHWM {before} -> {after} KiB", flush=True)
    check(rise < SIZE // 1024 // 4,
          f"the server's peak memory rose by {rise} KiB for a {SIZE >> 10} KiB download")


def ranges(address, boss, url, tail):
    print("- ranges at the end of the file: 206 with Content-Range, 416 at the size", flush=True)
    for header, first, body in ((f"bytes={SIZE - 1}-", SIZE - 1, tail[-1:]),
                                ("bytes=-1000", SIZE - 1000, tail),
                                (f"bytes={SIZE - 1000}-{SIZE + 5000}", SIZE - 1000, tail)):
        connection, answer = open_download(address, boss, url, {"Range": header})
        try:
            got = answer.read()
        finally:
            connection.close()
        check(answer.status == 206, f"{header}: {answer.status}")
        check(answer.getheader("Content-Range") == f"bytes {first}-{SIZE - 1}/{SIZE}",
              f"{header}: Content-Range {answer.getheader('Content-Range')}")
        check(got == body, f"{header}: {len(got)} bytes, not the file's last {len(body)}")
    # The first range of an <audio> element covers the whole file now (no 4 MiB cap).
    connection, answer = open_download(address, boss, url, {"Range": "bytes=0-"})
    try:
        check(answer.status == 206 and answer.getheader("Content-Length") == str(SIZE),
              f"bytes=0-: {answer.status} length {answer.getheader('Content-Length')}")
    finally:
        connection.close()
    connection, answer = open_download(address, boss, url, {"Range": f"bytes={SIZE}-"})
    try:
        answer.read()
    finally:
        connection.close()
    check(answer.status == 416, f"bytes={SIZE}-: {answer.status}")
    check(answer.getheader("Content-Range") == f"bytes */{SIZE}",
          f"416 Content-Range {answer.getheader('Content-Range')}")


def deleted_meanwhile(address, boss, url, sha, path):
    print("- the file deleted during a download: that download completes; then 404", flush=True)
    connection, answer = open_download(address, boss, url)
    try:
        digest = hashlib.sha256()
        first = answer.read(READ_BYTES)
        digest.update(first)
        os.remove(path)
        received = len(first) + hash_rest(answer, digest)
    finally:
        connection.close()
    check(received == SIZE and digest.hexdigest() == sha,
          f"the download under way got {received} bytes (or different ones) after the delete")
    check(boss.request("GET", url).status == 404, "a GET after the delete did not answer 404")


def main():
    args = script_arguments(__doc__)
    with provisioned(args.parley, "parley-api-download-") as (tmp, data):
        setup(args.parley, data)
        row, sha, tail, path = write_recording(data)
        config = media_config(tmp, 57000, 57099)
        with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
            address = wait_for_https(server)
            boss = Client(address)
            check(boss.login("boss", BOSS_PASSWORD).status == 200, "boss sign-in")
            listed = boss.request("GET", f"/api/v1/tenants/{DOMAIN}/recordings").json() or {}
            items = listed.get("items", [])
            if check(len(items) == 1 and items[0].get("id") == row, f"recordings: {listed}"):
                url = items[0]["audio_url"]
                whole(address, boss, url, sha, server.process.pid)
                ranges(address, boss, url, tail)
                deleted_meanwhile(address, boss, url, sha, path)
            if problems:
                print("---- server stderr (tail) ----\n" + server.stderr_text()[-3000:])
            check(server.stop() == 0, "server did not exit 0 on SIGTERM")
    return report(problems, "a 60 MiB recording streams whole and in ranges without the server "
                            "holding it in memory")


if __name__ == "__main__":
    run_main(main)
