"""Set-up that the PBX integration tests share (Python standard library only): a problem
collector, the command line, a provisioned data directory and its config file, registered
phones, the loop over named scenarios and the server's end.

A test keeps `problems, check = checker()` at module level; its main() takes
script_arguments(), opens provisioned(...) for (tmp, data), writes media_config(tmp, low, high)
with its own RTP port range, starts a ParleyServer, gets phones from registered(...), hands
its (name, run) pairs to run_scenarios(...), calls finish(server, problems, check) and returns
report(problems, ...) from parley_harness.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
from contextlib import contextmanager

from call_client import DOMAIN
from parley_harness import HarnessError, provision, run_cli
from sip_client import SipUA


def checker():
    """A fresh problem list and the check(condition, message) that fills it: a false condition
    is recorded and printed at once; check returns the condition."""
    problems: list[str] = []

    def check(condition, message):
        if not condition:
            problems.append(message)
            print("  FAIL: " + message, flush=True)
        return condition

    return problems, check


def script_arguments(description: str | None = None) -> argparse.Namespace:
    """The command line every integration test takes (CMake passes both)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--parley", required=True)
    parser.add_argument("--data-dir")
    return parser.parse_args()


@contextmanager
def provisioned(parley: str, prefix: str, passwords: dict[str, str] | None = None,
                domain: str = DOMAIN):
    """A temporary directory and the data directory in it, with `domain` as the default tenant
    and one extension per `passwords` entry (nothing when `passwords` is None). Yields
    (directory, data directory)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        data = os.path.join(tmp, "data")
        if passwords is not None:
            provision(parley, data, domain, passwords)
        yield tmp, data


def write_config(directory: str, text: str) -> str:
    """Writes `text` as parley.toml in `directory`; returns its path."""
    path = os.path.join(directory, "parley.toml")
    with open(path, "w") as f:
        f.write(text)
    return path


def media_config(directory: str, port_min: int, port_max: int, extra: str = "") -> str:
    """A parley.toml that keeps Parley's RTP ports in [port_min, port_max] (each test has its
    own range so tests run in parallel); `extra` follows the [media] lines."""
    return write_config(directory, f"[media]\nrtp_port_min = {port_min}\n"
                                   f"rtp_port_max = {port_max}\n{extra}")


# Presence timing for tests: short subscriptions allowed, NOTIFYs coalesced for 50 ms only.
QUICK_PRESENCE = ("[presence]\nmin_expires_s = 2\ndefault_expires_s = 60\n"
                  "notify_coalesce_ms = 50\n")


def registered(server, ext: str, passwords: dict[str, str], check, failure: str | None = None,
               domain: str = DOMAIN) -> SipUA:
    """A UA for `ext` registered for 300 s; a refused REGISTER is a problem (`failure`)."""
    ua = SipUA(server.udp, ext, domain, passwords[ext])
    check(ua.register(expires=300).status == 200, failure or f"{ext} REGISTER failed")
    return ua


def run_scenarios(scenarios, check, *args) -> None:
    """Runs each (name, run) as run(*args); a HarnessError is recorded as "name: error" and the
    next scenario still runs. A name of None prints no heading and records the bare error."""
    for name, run in scenarios:
        if name is not None:
            print(f"- {name}", flush=True)
        try:
            run(*args)
        except HarnessError as error:
            check(False, f"{name}: {error}" if name is not None else str(error))


def print_server_tail(server, problems: list[str], size: int = 3000) -> None:
    """After a failure, the end of the server's log, which usually says why."""
    if problems:
        print("---- server stderr (tail) ----\n" + server.stderr_text()[-size:])


def finish(server, problems: list[str], check, tail: int = 3000) -> None:
    """The log's tail after a failure; then SIGTERM, which must end the server with 0."""
    print_server_tail(server, problems, tail)
    check(server.stop() == 0, "server did not exit 0 on SIGTERM")


def call_records(data: str, columns: str, where: str = "") -> list[tuple]:
    """`SELECT columns FROM call_records [WHERE where] ORDER BY id` from the (stopped) server's
    database, opened read-only."""
    db = sqlite3.connect(f"file:{os.path.join(data, 'parley.db')}?mode=ro", uri=True)
    try:
        condition = f" WHERE {where}" if where else ""
        return db.execute(f"SELECT {columns} FROM call_records{condition} ORDER BY id").fetchall()
    finally:
        db.close()


def two_tenants_with_admins(parley: str, data: str, domain: str, passwords: dict,
                            admins: dict, extra: tuple = ()) -> None:
    """The API tests' folder: `domain` (the default tenant) with `passwords`' extensions and
    other.org with 2001; the tenant admins "boss" of `domain` and "stranger" of other.org
    (`admins` holds their passwords); then any `extra` CLI commands (argument lists)."""
    for argv in (["tenant", "add", domain, "--default"], ["tenant", "add", "other.org"],
                 *[["user", "add", f"{ext}@{domain}", "--password", pw]
                   for ext, pw in passwords.items()],
                 ["user", "add", "2001@other.org", "--password", "pw-2001-secret"],
                 *extra,
                 ["admin", "add", "boss", "--tenant", domain, "--password", admins["boss"]],
                 ["admin", "add", "stranger", "--tenant", "other.org", "--password",
                  admins["stranger"]]):
        run_cli(parley, data, *argv, timeout=30)
