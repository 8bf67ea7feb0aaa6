#!/usr/bin/env python3
"""Parley registering a trunk to a real provider: Kamailio from Debian as a registrar with digest
auth (auth_db over db_text, SHA-256, qop=auth) on 127.0.0.1:5090+ (issue 11, RFC 3261 §10 UAC).

Checked, with short timers from the config ([trunks] back-off 1-4 s, keep-alive 0.5 s, T1 50 ms):
  1. a trunk added while `parley serve` runs registers (Kamailio's usrloc holds Parley's
     Contact) and OPTIONS keep-alives reach the provider;
  2. the registration is refreshed before it lapses, reusing the nonce (no new 401 round);
  3. a wrong password ends in the failed state with at most two REGISTERs per back-off step;
  4. the right password again registers again (the changed trunk is replaced without restart);
  5. Kamailio killed: Parley's refresh times out and it fails with 408; Kamailio restarted (with
     a new nonce secret and an empty location table): Parley registers again within the back-off;
  6. SIGTERM: Parley unregisters (Expires: 0) and Kamailio's location table is empty.
The trunk row is written with Python's sqlite3 into the data folder's database (schema migration
6) until `parley trunk add` exists; the store's triggers move its change counter.
"""

import argparse
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kamailio_peer import KamailioPeer, free_udp_ports, wait_until  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main, run_parley  # noqa: E402
from pbx_scenario import checker  # noqa: E402

DOMAIN = "example.com"
TRUNK_USER = "trunkuser"
TRUNK_PASSWORD = "s3cret-Trunk"
EXPIRES = 3  # seconds asked of the registrar: a refresh every ~2.5 s
problems, check = checker()


# After kamailio_peer's global settings (listen, mpath, one child, log to stderr).
KAMAILIO_CFG = """loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "textops.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "db_text.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
loadmodule "ctl.so"
loadmodule "kex.so"
modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", 1)
modparam("registrar", "default_expires", 60)
modparam("auth_db", "db_url", "text://{db}")
modparam("auth_db", "calculate_ha1", yes)
modparam("auth_db", "password_column", "password")
modparam("auth", "algorithm", "SHA-256")
modparam("ctl", "binrpc", "unix:{ctl}")
request_route {{
  xlog("L_NOTICE", "SEEN $rm cseq=$cs expires=$hdr(Expires) auth=$hdr(Authorization)\\n");
  if (is_method("OPTIONS")) {{ sl_send_reply("200", "OK"); exit; }}
  if (is_method("REGISTER")) {{
    if (!auth_check("$fd", "subscriber", "1")) {{ auth_challenge("$fd", "1"); exit; }}
    consume_credentials();
    if (!save("location")) sl_reply_error();
    exit;
  }}
  sl_send_reply("404", "Not here");
}}
"""


class Kamailio(KamailioPeer):
    """Kamailio as the provider's registrar; its xlog lines ("SEEN ...") go to its log."""

    def __init__(self, folder: str, port: int):
        self.db = os.path.join(folder, "db")
        self.ctl = os.path.join(folder, "ctl")
        os.makedirs(self.db, exist_ok=True)
        with open(os.path.join(self.db, "version"), "w") as out:
            out.write("table_name(string) table_version(int) \nsubscriber:7\n")
        with open(os.path.join(self.db, "subscriber"), "w") as out:
            out.write("id(int,auto) username(string) domain(string) password(string) "
                      "ha1(string) ha1b(string) \n")
            # ha1 and ha1b may not be empty (db_text refuses NULLs); calculate_ha1 ignores them.
            out.write(f"1:{TRUNK_USER}:127.0.0.1:{TRUNK_PASSWORD}:unused:unused:\n")
        super().__init__(folder, port, KAMAILIO_CFG.format(db=self.db, ctl=self.ctl))

    def seen(self, method: str, since: int = 0) -> list[str]:
        """The SEEN lines for `method` after byte offset `since` of the log."""
        return self.lines(f"SEEN {method} ", since)

    def contacts(self) -> list[str]:
        """Contacts of the trunk user's AOR in usrloc (kamcmd ul.dump)."""
        result = subprocess.run(["kamcmd", "-s", f"unix:{self.ctl}", "ul.dump"],
                                capture_output=True, text=True, timeout=5)
        if result.returncode != 0:
            return []
        text = result.stdout
        if f"AoR: {TRUNK_USER}" not in text:
            return []
        return re.findall(r"Address:\s*(\S+)", text)


def set_trunk(database: str, **changes) -> None:
    with sqlite3.connect(database) as db:
        for column, value in changes.items():
            db.execute(f"UPDATE trunks SET {column} = ?, updated_at = updated_at + 1", (value,))


def add_trunk(database: str, port: int) -> None:
    with sqlite3.connect(database) as db:
        tenant = db.execute("SELECT id FROM tenants WHERE domain = ?", (DOMAIN,)).fetchone()[0]
        now = int(time.time())
        db.execute(
            "INSERT INTO trunks (tenant_id, name, host, port, transport, registers, username, "
            "password, auth_realm, register_expires, codecs, caller_id, max_calls, "
            "options_keepalive, enabled, created_at, updated_at) "
            "VALUES (?, 'provider', '127.0.0.1', ?, 'UDP', 1, ?, ?, '', ?, '', '', 0, 1, 1, ?, ?)",
            (tenant, port, TRUNK_USER, TRUNK_PASSWORD, EXPIRES, now, now))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parley", required=True)
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    if subprocess.run(["which", "kamailio"], capture_output=True).returncode != 0:
        print("FAIL: kamailio is not installed (apt-get install kamailio)")
        return 1

    with tempfile.TemporaryDirectory(prefix="parley-trunk-") as tmp:
        kamailio = Kamailio(os.path.join(tmp, "kamailio"), free_udp_ports(1, 5090, 5190)[0])
        data = os.path.join(tmp, "data")
        result = run_parley(args.parley, ["tenant", "add", DOMAIN, "--default", "--data", data])
        if result.returncode != 0:
            raise HarnessError("parley tenant add failed: " + result.stderr)
        database = os.path.join(data, "parley.db")
        with sqlite3.connect(database) as db:
            if db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'trunks'").fetchone()[0] == 0:
                print("FAIL: the store has no trunks table (schema migration 6)")
                return 1
        config = os.path.join(tmp, "parley.toml")
        with open(config, "w") as out:
            out.write("[sip]\nt1_ms = 50\n\n[trunks]\nkeepalive_interval_s = 0.5\n"
                      "register_retry_min_s = 1\nregister_retry_max_s = 4\n")
        kamailio.start()
        try:
            with ParleyServer(args.parley, data_dir=data,
                              args=["--config", config, "--workers", "2"]) as server:
                run(kamailio, server, database)
        finally:
            kamailio.kill()
    return report(problems, "trunk registration against Kamailio")


def parley_contact(server: ParleyServer) -> str:
    return f"sip:{TRUNK_USER}@127.0.0.1:{server.udp[1]}"


def run(kamailio: Kamailio, server: ParleyServer, database: str) -> None:
    contact = parley_contact(server)

    print("1. a trunk added while the server runs registers", flush=True)
    add_trunk(database, kamailio.port)
    registered = wait_until(lambda: contact in kamailio.contacts(), 8)
    check(registered, f"Kamailio's location table never held {contact}: {kamailio.contacts()}\n"
          + server.stderr_text()[-3000:])
    check(wait_until(lambda: kamailio.seen("OPTIONS"), 3), "no OPTIONS keep-alive reached Kamailio")
    check(wait_until(lambda: "trunk 127.0.0.1: up" in server.stderr_text(), 3),
          "Parley never logged the trunk up")

    print("2. the registration is refreshed with the same nonce", flush=True)
    mark = kamailio.log_size()
    time.sleep(EXPIRES * 2 + 0.5)
    registers = kamailio.seen("REGISTER", mark)
    authorised = [line for line in registers if "auth=<null>" not in line]
    check(len(authorised) >= 2, f"expected 2+ refreshes in {EXPIRES * 2.5} s, saw {registers}")
    check(len(registers) == len(authorised),
          f"a refresh went out without credentials (a needless 401 round): {registers}")
    check(contact in kamailio.contacts(), "the binding lapsed despite the refreshes")
    ncs = re.findall(r"nc=([0-9a-f]{8})", "\n".join(authorised))
    check(len(set(ncs)) == len(ncs) and len(ncs) >= 2,
          f"refreshes should reuse the nonce with a growing nc: {ncs}")

    print("3. a wrong password fails without a flood", flush=True)
    mark = kamailio.log_size()
    set_trunk(database, password="wrong-password")
    failed = wait_until(lambda: "credentials rejected" in server.stderr_text(), 5)
    check(failed, "Parley did not report the rejected credentials:\n" + server.stderr_text()[-3000:])
    window_start = time.monotonic()
    time.sleep(4.0)
    registers = kamailio.seen("REGISTER", mark)
    # The old binding's Expires: 0 (with the old, right password) and then, per attempt, one
    # REGISTER without and one with credentials. Attempts: at once, then after 1, 2, 4 s of
    # back-off: at most 3 attempts in ~5 s.
    attempts_bound = 1 + 2 * 3
    check(2 <= len(registers) <= attempts_bound,
          f"{len(registers)} REGISTERs within {time.monotonic() - window_start + 1:.1f} s of a "
          f"wrong password (bound {attempts_bound}): {registers}")
    check(contact not in kamailio.contacts(),
          "the old binding should have been removed when the trunk changed")

    print("4. the right password registers again", flush=True)
    set_trunk(database, password=TRUNK_PASSWORD)
    check(wait_until(lambda: contact in kamailio.contacts(), 8),
          "no registration after the password was fixed")

    print("5. the provider restarts", flush=True)
    kamailio.kill()
    before = server.stderr_text().count("registration failed (408")
    timed_out = wait_until(lambda: server.stderr_text().count("registration failed (408") > before,
                           15)
    check(timed_out, "the refresh towards the dead provider never failed with 408")
    check(wait_until(lambda: "trunk 127.0.0.1: down" in server.stderr_text(), 5),
          "the keep-alive never declared the trunk down")
    restart = time.monotonic()
    kamailio.start()
    back = wait_until(lambda: contact in kamailio.contacts(), 8)
    check(back, "Parley did not register again after the provider restarted:\n"
          + server.stderr_text()[-3000:])
    if back:
        print(f"   registered again {time.monotonic() - restart:.1f} s after the restart")

    print("6. a clean shutdown unregisters", flush=True)
    mark = kamailio.log_size()
    code = server.stop()
    check(code == 0, f"parley exited with {code}")
    unregisters = [line for line in kamailio.seen("REGISTER", mark) if "expires=0 " in line]
    check(unregisters, "no REGISTER with Expires: 0 at shutdown: "
          + str(kamailio.seen("REGISTER", mark)))
    check(wait_until(lambda: contact not in kamailio.contacts(), 2),
          f"Kamailio still holds the binding after shutdown: {kamailio.contacts()}")


if __name__ == "__main__":
    run_main(main)
