#!/usr/bin/env python3
"""SRTP with SDES keys (RFC 4568) carries audio heard both ways, bridged to plain RTP.

Two headless baresip 1.0 phones (the machinery of baresip_media_test.py) register to
`parley serve` over UDP: 1001 with `mediaenc=srtp-mand` (its `srtp` module: RTP/SAVP offers with
a=crypto lines, and it takes nothing but SRTP), 1002 plain RTP/AVP. 1001 dials 1002, each plays its
own tone (1001: 1000 Hz, 1002: 440 Hz) and records what it decodes; Goertzel judges that each
heard the other's tone at about the level sent, in every half second of the call.

Beyond the sound, from the phones' SIP traces and the server's log:
  * 1001 received RTP/SAVP with exactly one a=crypto line whose key is not any of its own (Parley
    answers with a fresh key of its own) and it decoded PCMU, so SRTP in both directions worked:
    with srtp-mand baresip drops anything that is not SRTP under the keys exchanged;
  * 1002 received plain RTP/AVP and no a=crypto line at all (keys never leak to the other leg);
  * the server, logging at trace level, never wrote any key (its own or the phone's).
Relay ports 53000-53499 and phone RTP ports 53500-53999 (this test's range).
PARLEY_TEST_VERBOSE=1 prints the baresip and server logs even on success.
"""

import argparse
import os
import re
import signal
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import baresip_media_test as phones  # noqa: E402
from baresip_test import DOMAIN, check, problems  # noqa: E402
from parley_harness import ParleyServer, provision, report, run_main  # noqa: E402

# This test's port range (53000-53999), given to the shared phone machinery.
phones.RELAY_PORTS = (53000, 53499)
phones.PHONE_RTP_PORTS = {"1001": (53500, 53749), "1002": (53750, 53999)}

CRYPTO = re.compile(r"a=crypto:(\d+) (\S+) inline:([A-Za-z0-9+/=]+)")
MEDIA = re.compile(r"m=audio \d+ (\S+)")


def sdp_bodies(log: str) -> list[list[str]]:
    """Each SDP body in a baresip SIP trace, as its lines (from v=0 to the end of the body)."""
    bodies, current = [], None
    for line in log.splitlines():
        line = line.strip()
        if line == "v=0":
            current = []
            bodies.append(current)
        elif current is not None and re.match(r"^[a-z]=", line):
            current.append(line)
        else:
            current = None
    return bodies


def check_traces(workdir: str, server_log: str) -> None:
    with open(os.path.join(workdir, "1001", "baresip.log"), errors="replace") as f:
        secure = f.read()
    with open(os.path.join(workdir, "1002", "baresip.log"), errors="replace") as f:
        plain = f.read()
    secure_bodies = sdp_bodies(secure)
    offered = [CRYPTO.search(line) for body in secure_bodies for line in body]
    keys_1001 = set()
    answers = []
    for body in secure_bodies:
        lines = [CRYPTO.search(line) for line in body]
        protocols = [MEDIA.search(line).group(1) for line in body if MEDIA.search(line)]
        found = [m for m in lines if m]
        if body and body[0].startswith("o=parley"):
            answers.append((protocols, found))
        else:
            keys_1001.update(m.group(3) for m in found)
    check(bool(keys_1001) and any(offered),
          "1001 (srtp-mand) sent no a=crypto line (srtp module not loaded?)")
    check(bool(answers), "1001 received no SDP from Parley (SIP trace missing?)")
    for protocols, found in answers:
        check(protocols == ["RTP/SAVP"], f"1001 got m=audio with {protocols}, expected RTP/SAVP")
        check(len(found) == 1, f"1001 got {len(found)} a=crypto lines from Parley, expected 1")
        if found:
            print(f"  1001 got a=crypto tag {found[0].group(1)} suite {found[0].group(2)}",
                  flush=True)
            check(found[0].group(3) not in keys_1001,
                  "Parley answered 1001 with 1001's own key instead of a fresh one")
    plain_protocols = [MEDIA.search(line).group(1) for body in sdp_bodies(plain) for line in body
                       if MEDIA.search(line)]
    check(plain_protocols and all(p == "RTP/AVP" for p in plain_protocols),
          f"1002 saw m=audio protocols {plain_protocols}, expected only RTP/AVP")
    check("a=crypto" not in plain, "1002 (plain RTP) was shown an a=crypto line")
    answer_keys = {m.group(3) for _, found in answers for m in found}
    for key in keys_1001 | answer_keys:
        check(key not in server_log and key[:16] not in server_log,
              "the server's log holds an SRTP key")


def run(parley: str, tmp: str) -> None:
    name = "sdes (1001 SRTP srtp-mand, 1002 plain RTP)"
    workdir = os.path.join(tmp, "sdes")
    data = os.path.join(workdir, "data")
    provision(parley, data, DOMAIN, phones.PASSWORDS)
    config = os.path.join(workdir, "parley.toml")
    low, high = phones.RELAY_PORTS
    with open(config, "w") as f:
        f.write('[auth]\nalgorithms = ["MD5"]\n[log]\nlevel = "trace"\n'
                f'[media]\nrtp_port_min = {low}\nrtp_port_max = {high}\nsdes = "tls"\n')
    with ParleyServer(parley, data_dir=data, args=["--config", config, "--workers", "2"]) as server:
        before = len(problems)
        phones.call(server, workdir, name, {"1001": "g711", "1002": "g711"},
                    {"1001": "PCMU", "1002": "PCMU"}, mediaenc={"1001": "srtp-mand"})
        stopped = server.stop()
        server_log = server.stderr_text()
        check_traces(workdir, server_log)
        if len(problems) > before or phones.VERBOSE:
            print("---- server stderr (tail) ----\n" + server_log[-3000:])
        check(stopped == 0, f"{name}: server did not exit 0 on SIGTERM")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parley", required=True)
    ap.add_argument("--data-dir")
    args = ap.parse_args()
    missing = phones.baresip_missing(("g711.so", "srtp.so"))
    if missing:
        print(f"FAIL: {missing}")
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("FAIL: terminated"))
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="parley-srtp-sdes-") as tmp:
        run(args.parley, tmp)
    print(f"  took {time.monotonic() - started:.1f} s")
    return report(problems, "an SDES-SRTP phone and a plain RTP phone heard each other's tones "
                            "through Parley")


if __name__ == "__main__":
    run_main(main)
