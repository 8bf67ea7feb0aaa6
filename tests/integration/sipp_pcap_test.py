#!/usr/bin/env python3
"""SIPp with pcap play on both sides (issue 4 "Tests"): a SIPp UAC (1001) calls a SIPp UAS (1002)
through Parley, both offering only PCMA, and after the answer each plays the G.711 A-law capture
Debian's sip-tester ships (/usr/share/sip-tester/g711a.pcap) to the media address it was given,
i.e. to Parley's relay ports. At the call's end Parley logs its relay's per-leg counters (what it
accepted from each side, what it sent to each side); the test counts the RTP packets in the
capture itself and asserts, within 1 %, that each side's whole capture reached Parley and that
Parley sent every one of them on to the other side. Auth is MD5 only ([auth] algorithms): SIPp
3.6 cannot answer SHA-256 challenges."""

import os
import re
import shutil
import struct
import subprocess
import sys
import time

from call_client import DOMAIN
from calls_test import free_udp_port, run_sipp
from parley_harness import ParleyServer
from pbx_scenario import checker, finish, provisioned, script_arguments, write_config
from sip_client import SipUA

HERE = os.path.dirname(os.path.abspath(__file__))
PCAP = "/usr/share/sip-tester/g711a.pcap"
PASSWORDS = {"1001": "pw-1001-pcap", "1002": "pw-1002-pcap"}
# The media helper's test port range (58000-58999): this test's slice.
RTP_PORTS = (58700, 58799)
SUMMARY = re.compile(r"call (\S+) media: A rtp in (\d+) out (\d+) .*?; B rtp in (\d+) out (\d+) ")


def rtp_packets_in_pcap(path: str) -> int:
    """RTP datagrams (version 2, not RTCP) in a classic libpcap file of Ethernet/IPv4/UDP."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0xA1B2C3D4 else ">"
    link_type = struct.unpack(order + "I", data[20:24])[0]
    link_bytes = {1: 14, 113: 16}.get(link_type, 14)  # Ethernet or Linux cooked capture
    at, count = 24, 0
    while at + 16 <= len(data):
        _, _, included, _ = struct.unpack(order + "IIII", data[at:at + 16])
        frame = data[at + 16:at + 16 + included]
        at += 16 + included
        ip = frame[link_bytes:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        payload = ip[(ip[0] & 0x0F) * 4 + 8:]
        if len(payload) >= 12 and payload[0] >> 6 == 2 and not 192 <= payload[1] <= 223:
            count += 1
    return count


def scenario_copy(name: str, workdir: str) -> str:
    with open(os.path.join(HERE, "sipp", name)) as f:
        text = f.read().replace("@PCAP@", PCAP)
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def pcap_call(server, workdir: str, check) -> None:
    expected = rtp_packets_in_pcap(PCAP)
    if not check(expected > 100, f"{PCAP} holds only {expected} RTP packets"):
        return
    uas_port = free_udp_port()
    reg = SipUA(server.udp, "1002", DOMAIN, PASSWORDS["1002"], port=uas_port)
    status = reg.register(expires=300, algorithm="MD5").status
    reg.close()
    if not check(status == 200, f"1002 REGISTER from the UAS port: {status}"):
        return
    users = os.path.join(workdir, "callers.csv")
    with open(users, "w") as f:
        f.write(f"SEQUENTIAL\n1001;{PASSWORDS['1001']};1002;{DOMAIN}\n")
    common = ["-i", "127.0.0.1", "-mi", "127.0.0.1", "-nostdin", "-m", "1", "-timeout", "20s",
              "-trace_err"]
    uas = run_sipp(["sipp", "-sf", scenario_copy("pcap_uas.xml", workdir), "-p", str(uas_port),
                    "-mp", str(free_udp_port() & ~1)] + common, workdir, "uas")
    time.sleep(0.3)
    host, port = server.udp
    uac = run_sipp(["sipp", f"{host}:{port}", "-sf", scenario_copy("pcap_uac.xml", workdir),
                    "-p", "0", "-mp", str(free_udp_port() & ~1), "-inf", users,
                    "-auth_uri", f"1002@{DOMAIN}", "-recv_timeout", "10000"] + common,
                   workdir, "uac")
    failed = False
    for name, proc in (("UAC", uac), ("UAS", uas)):
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = f"killed after 30 s (exit {proc.wait()})"
        failed |= not check(code == 0, f"SIPp {name} exit {code} (0 = 1 successful call)")
    if failed:
        for log in sorted(f for f in os.listdir(workdir) if f.endswith((".out", "_errors.log"))):
            with open(os.path.join(workdir, log), errors="replace") as fh:
                print(f"---- {log} ----\n{fh.read()[-1500:]}")
    # The call's media summary is logged when the call ends (after the BYE's 200).
    summary = None
    deadline = time.monotonic() + 5
    while summary is None and time.monotonic() < deadline:
        summary = SUMMARY.search(server.stderr_text())
        if summary is None:
            time.sleep(0.1)
    if not check(summary is not None, "no media summary for the call in Parley's log"):
        return
    a_in, a_out, b_in, b_out = (int(summary.group(i)) for i in range(2, 6))
    print(f"  capture {expected} RTP packets; Parley: from the UAC {a_in}, to the UAS {b_out}, "
          f"from the UAS {b_in}, to the UAC {a_out}", flush=True)
    for what, count in (("accepted from the UAC", a_in), ("sent on to the UAS", b_out),
                        ("accepted from the UAS", b_in), ("sent on to the UAC", a_out)):
        check(abs(count - expected) <= expected // 100,
              f"{what}: {count} RTP packets, the capture has {expected} (1 % allowed)")


def main() -> int:
    args = script_arguments(__doc__)
    for tool, package in (("sipp", "sip-tester"),):
        if shutil.which(tool) is None:
            print(f"FAIL: `{tool}` not found (Debian package {package})")
            return 1
    if not os.path.exists(PCAP):
        print(f"FAIL: {PCAP} not found (Debian package sip-tester)")
        return 1
    problems, check = checker()
    with provisioned(args.parley, "parley-sipp-pcap-", PASSWORDS) as (tmp, data):
        config = write_config(tmp, f"[media]\nrtp_port_min = {RTP_PORTS[0]}\n"
                                   f"rtp_port_max = {RTP_PORTS[1]}\n"
                                   "[auth]\nalgorithms = [\"MD5\"]\n")
        with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
            print("- SIPp UAC 1001 and SIPp UAS 1002 both play g711a.pcap through Parley",
                  flush=True)
            pcap_call(server, tmp, check)
            finish(server, problems, check)
    print("FAIL" if problems else "OK", flush=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
