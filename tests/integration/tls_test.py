#!/usr/bin/env python3
"""SIP over TLS (issue 11, decision 0032) with real peers on loopback.

`parley serve --sip-tls-listen 127.0.0.1:0` with its self-signed certificate (the HTTPS one in
the data folder), `[auth] algorithms = ["MD5"]` (Debian 12's baresip answers MD5 only) and a 1 s
handshake timeout:
  1. phones: a Python phone (1002, `ssl` module) registers over TLS with digest auth, checking
     Parley's certificate; baresip (1001) registers over TLS (its output shows the 200 on a TLS
     transport) and calls 1002: the INVITE reaches 1002 over the connection it registered on,
     with a TLS Via; 1002 answers, baresip hangs up, the BYE comes over the same connection and
     the call record says answered;
  2. defences: a client that connects and never starts a handshake is closed after about 1 s
     while another TLS client is answered meanwhile; bytes that are not TLS close the connection
     at once; connections over `tls_max_connections_per_ip` are closed on accept; the server
     still answers afterwards;
  3. a trunk with mutual TLS (decision 0048, `parley trunk client-tls --ca --name`): a DID call
     over a TLS connection that shows the provider's certificate (openssl-made, in the test's
     folder) is the trunk's (404: no such DID); one with another authority's certificate or
     none is an unknown peer (407/403), and the refused certificate is logged;
  3b. blind transfer to a phone over TLS (decision 0048): 1001 calls 1003 (UDP), 1003 REFERs it
     to 1002 (the Python phone over TLS), whose INVITE is RTP/SAVP with Parley's a=crypto
     lines; its SDES answer completes the transfer, and 1001's BYE reaches it;
  4. trunk: a provider's TLS registrar (Python, its own certificate, trusted through
     `[trunks] tls_ca_file`) challenges the trunk's REGISTER; Parley registers over TLS with a
     TLS Via and a transport=tls Contact, and the challenge round and the OPTIONS keep-alives
     all use one connection.
Ports: 52000-52999 (RTP 52100-52199, baresip SIP 52900-52909 and console 52950-52959, its RTP 52910-52948,
provider 52700-52799).
"""

import base64
import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from baresip_test import Baresip, dump, write_tone  # noqa: E402
from parley_harness import (HarnessError, ParleyServer, build_request, parse_message,  # noqa: E402
                            report, run_cli, run_main)
from pbx_scenario import checker, media_config, provisioned, script_arguments  # noqa: E402
from port_probe import free_ports_in  # noqa: E402
from tls_peer import TlsPhone, TlsRegistrar, connect_tls, make_certificate, sdp_answer  # noqa: E402
from call_client import Caller, answer_bye, is_request, response_to  # noqa: E402
from sip_client import SipUA  # noqa: E402
from transfer_test import answered_call, refer_to  # noqa: E402
from transfer_test import make_sdp as codec_sdp  # noqa: E402
from trunk_provider import make_sdp  # noqa: E402

DOMAIN = "example.com"
PASSWORDS = {"1001": "pw-1001-tls", "1002": "pw-1002-tls", "1003": "pw-1003-tls"}
PROVIDER_PORTS = (52700, 52799)
TRUNK_USER, TRUNK_PASSWORD = "tlstrunk", "pw-trunk-tls"
problems, check = checker()
Caller.DIGEST_ALGORITHM = "MD5"  # this server offers MD5 only (for baresip)


class TlsBaresip(Baresip):
    """baresip with one account on TLS through Parley's listener, checking its certificate
    against `cafile`; this test's own ports."""

    def __init__(self, workdir: str, server: tuple[str, int], cafile: str):  # noqa: no super
        self.dir = workdir
        os.makedirs(self.dir, exist_ok=True)
        # Probed just before baresip binds them (see port_probe); baresip adds TLS on sip_port + 1.
        self.sip_port = free_ports_in(52900, 52909, tcp=True, neighbour_tcp=True)[0]
        self.cons_port = free_ports_in(52950, 52959, tcp=True)[0]
        tone = os.path.join(self.dir, "tone.wav")
        write_tone(tone)
        modules = "/usr/lib/baresip/modules"
        config = ["poll_method\tepoll", f"sip_listen\t127.0.0.1:{self.sip_port}",
                  f"sip_cafile\t{cafile}", f"audio_source\taufile,{tone}", "audio_level\tno",
                  "rtp_ports\t52910-52948", "net_interface\t127.0.0.1",
                  f"cons_listen\t127.0.0.1:{self.cons_port}", f"module_path\t{modules}",
                  "module\tg711.so", "module\taufile.so", "module\tcons.so",
                  "module_tmp\taccount.so", "module_app\tmenu.so"]
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write("\n".join(config) + "\n")
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write(f"<sip:1001@{DOMAIN};transport=tls>;auth_pass={PASSWORDS['1001']};"
                    f"outbound=\"sip:{server[0]}:{server[1]};transport=tls\";regint=600;"
                    "audio_codecs=PCMU/8000/1;answermode=manual\n")
        self.log_path = os.path.join(self.dir, "baresip.log")
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(["baresip", "-f", self.dir, "-s"], stdout=self.log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        cwd=self.dir)


def tls_address(server) -> tuple[str, int]:
    # The harness is satisfied by the UDP/TCP lines; the TLS one may be read a moment later.
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        for line in server.stdout_lines():
            match = re.match(r"^listening sip tls ([0-9.]+):(\d+)$", line)
            if match:
                return match.group(1), int(match.group(2))
        time.sleep(0.05)
    raise HarnessError("no 'listening sip tls' line on stdout within 3 s")


def options_over_tls(address, cafile) -> int:
    stream = connect_tls(address, cafile)
    try:
        ip, port = stream.sock.getsockname()[:2]
        stream.send(build_request("OPTIONS", "TLS", f"sip:{DOMAIN}", sent_by=f"{ip}:{port}"))
        return stream.message().status
    finally:
        stream.close()


def phones(server, tmp, data, cafile):
    address = tls_address(server)
    callee = TlsPhone(address, "1002", DOMAIN, PASSWORDS["1002"], cafile)
    phone = None
    try:
        reply = callee.register()
        if not check(reply.status == 200, f"1002 REGISTER over TLS: {reply.status}"):
            return
        check(any("transport=tls" in c.lower() for c in reply.header_all("Contact")),
              f"registrar did not echo the TLS contact: {reply.header_all('Contact')}")
        phone = TlsBaresip(os.path.join(tmp, "baresip"), address, cafile)
        registered = phone.wait_for(r"1001@example\.com: \{\d+/TLS/v4\} 200 OK", 10.0)
        if not check(registered is not None, "baresip did not register over TLS in 10 s"):
            return
        phone.command(f"/dial sip:1002@{DOMAIN}")
        invite = callee.next(lambda m: m.start_line.startswith("INVITE "), 10.0)
        via = invite.header("Via") or ""
        check(via.startswith("SIP/2.0/TLS "), f"INVITE to 1002 has Via {via!r}, wanted TLS")
        callee.answer(invite, 180, "Ringing", "callee1")
        callee.answer(invite, 200, "OK", "callee1", sdp_answer(52290),
                      [f"Contact: {callee.contact()}"])
        callee.next(lambda m: m.start_line.startswith("ACK "), 5.0)
        check(phone.wait_for(r"[Cc]all established", 10.0) is not None,
              "baresip did not report the call established")
        time.sleep(0.5)
        phone.command("/hangup")
        bye = callee.next(lambda m: m.start_line.startswith("BYE "), 10.0)
        callee.answer(bye, 200, "OK", "callee1")
        time.sleep(0.5)
        db = sqlite3.connect(f"file:{os.path.join(data, 'parley.db')}?mode=ro", uri=True)
        try:
            records = db.execute("SELECT caller, callee, disposition FROM call_records").fetchall()
        finally:
            db.close()
        check([r[2] for r in records] == ["answered"], f"call records {records}")
    finally:
        if phone is not None:
            if problems:
                dump(phone.log_path, "baresip output (tail)", 6000)
            phone.stop()
        callee.close()


def defences(server, tmp, data, cafile):
    address = tls_address(server)
    silent = socket.create_connection(address, timeout=4)
    started = time.monotonic()
    check(options_over_tls(address, cafile) == 200, "OPTIONS over TLS beside a stalled handshake")
    try:
        closed = silent.recv(1) == b""
    except ConnectionResetError:
        closed = True
    except socket.timeout:
        closed = False
    waited = time.monotonic() - started
    check(closed and 0.7 <= waited <= 3.0,
          f"stalled handshake: closed={closed} after {waited:.2f} s (timeout 1 s)")
    silent.close()

    garbage = socket.create_connection(address, timeout=3)
    garbage.sendall(build_request("OPTIONS", "TCP", f"sip:{DOMAIN}"))
    started = time.monotonic()
    try:
        closed = garbage.recv(4096) == b""
    except ConnectionResetError:
        closed = True
    except socket.timeout:
        closed = False
    check(closed and time.monotonic() - started < 0.7,
          f"plain SIP on the TLS port: closed={closed} after {time.monotonic() - started:.2f} s")
    garbage.close()

    crowd = [socket.create_connection(address, timeout=0.5) for _ in range(12)]
    refused = 0
    for sock in crowd:
        try:
            refused += sock.recv(1) == b""
        except ConnectionResetError:
            refused += 1
        except socket.timeout:
            pass
    check(refused >= 1, "12 connections from one address with a cap of 8: none refused")
    for sock in crowd:
        sock.close()
    time.sleep(1.5)  # the stalled ones time out
    check(options_over_tls(address, cafile) == 200, "OPTIONS over TLS after the crowd left")


def invite_status(address, cafile, client=None) -> int:
    """The final answer to a DID call (a number without a DID) sent over a new TLS connection
    that shows `client` (certificate, key) or no certificate."""
    stream = connect_tls(address, cafile, client=client)
    try:
        ip, port = stream.sock.getsockname()[:2]
        sdp = make_sdp(52198)
        stream.send(build_request("INVITE", "TLS", f"sip:442070000999@{DOMAIN}",
                                  sent_by=f"{ip}:{port}", body=sdp,
                                  extra_headers=[f"Contact: <sips:provider@{ip}:{port}>",
                                                 "Content-Type: application/sdp"]))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            reply = stream.message(5)
            if reply.status >= 200:
                return reply.status
        raise HarnessError("no final answer to the INVITE over TLS within 5 s")
    finally:
        stream.close()


def mutual_tls(server, tmp, data, cafile):
    """Decision 0048: a trunk that requires the provider's client certificate is recognised by
    it (a DID call gets 404 for an unknown number, from the trunk's DID table); a certificate of
    another authority, or none, makes the same INVITE an unknown peer's (407/403)."""
    address = tls_address(server)
    provider = make_certificate(tmp, "provider-client")
    stranger = make_certificate(tmp, "stranger-client")
    run_cli(server.parley, data, "trunk", "add", f"mtls@{DOMAIN}", "--host", "127.0.0.9",
            "--transport", "tls", "--no-keepalive")
    shown = run_cli(server.parley, data, "trunk", "client-tls", f"mtls@{DOMAIN}", "--ca",
                    provider[0], "--name", "localhost")
    check("client certificate required" in shown, f"client-tls answered {shown!r}")
    status = 0
    deadline = time.monotonic() + 6  # the running server reloads trunks within a second
    while time.monotonic() < deadline and status != 404:
        status = invite_status(address, cafile, provider)
        if status != 404:
            time.sleep(0.3)
    check(status == 404, f"a DID call with the provider's certificate got {status}, wanted the "
          "trunk's 404 for a number without a DID")
    # An unknown peer: its From (127.0.0.1, this server) is challenged like a phone's.
    status = invite_status(address, cafile, stranger)
    check(status in (403, 407), f"with another authority's certificate: {status}, wanted the "
          "challenge (407) or 403 of an unknown peer")
    status = invite_status(address, cafile)
    check(status in (403, 407), f"without a certificate: {status}, wanted 407 or 403")
    check("is not trunk mtls (mutual TLS): the client certificate does not verify"
          in server.stderr_text(), "the refused certificate was not logged")
    run_cli(server.parley, data, "trunk", "client-tls", f"mtls@{DOMAIN}", "--off")
    run_cli(server.parley, data, "trunk", "rm", f"mtls@{DOMAIN}")


def sdes_answer(port: int, offer: bytes) -> bytes:
    """An RTP/SAVP answer taking the offer's first a=crypto line's tag and suite, our own key."""
    offered = re.search(r"^a=crypto:(\d+) (\S+) inline:", offer.decode(errors="replace"), re.M)
    tag, suite = (offered.group(1), offered.group(2)) if offered else ("1", "AES_CM_128_HMAC_SHA1_80")
    key = base64.b64encode(secrets.token_bytes(30)).decode()
    lines = ["v=0", "o=- 2 2 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0",
             f"m=audio {port} RTP/SAVP 0", "a=rtpmap:0 PCMU/8000", f"a=crypto:{tag} {suite} inline:{key}"]
    return ("\r\n".join(lines) + "\r\n").encode()


def transfer_to_tls_phone(server, tmp, data, cafile):
    """Decision 0048: the leg a blind transfer makes to a phone registered over TLS is offered
    SDES-SRTP (RTP/SAVP with Parley's a=crypto lines), as a call straight to it is; the phone's
    SRTP answer completes the transfer (NOTIFY 200) and the transferee's BYE reaches it."""
    address = tls_address(server)
    target = TlsPhone(address, "1002", DOMAIN, PASSWORDS["1002"], cafile)
    caller_ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
    transferor_ua = SipUA(server.udp, "1003", DOMAIN, PASSWORDS["1003"])
    try:
        check(target.register().status == 200, "1002 did not register over TLS")
        check(transferor_ua.register(algorithm="MD5").status == 200, "1003 did not register")
        caller, transferor, _, _ = answered_call(caller_ua, transferor_ua, "1003",
                                                 codec_sdp(52196, 0, "PCMU"),
                                                 codec_sdp(52194, 0, "PCMU"))
        check(transferor.ask("REFER", refer_to(f"1002@{DOMAIN}")) == 202, "REFER not 202")
        invite = target.next(lambda m: m.start_line.startswith("INVITE "), 5.0)
        body = invite.body.decode(errors="replace")
        check(re.search(r"^m=audio \d+ RTP/SAVP ", body, re.M) is not None and "a=crypto:" in body,
              f"the transfer's INVITE to the TLS phone is not SDES-SRTP:\n{body}")
        target.answer(invite, 200, "OK", "tlsxfer", sdes_answer(52192, invite.body),
                      [f"Contact: {target.contact()}"])
        target.next(lambda m: m.start_line.startswith("ACK "), 5.0)
        deadline = time.monotonic() + 5
        state = ""
        while time.monotonic() < deadline and not state.startswith("terminated"):
            notify, source = transferor_ua.recv(5.0, is_request("NOTIFY"))
            transferor_ua.send(response_to(notify, 200, "OK", ""), source)
            state = notify.header("Subscription-State") or ""
            if state.startswith("terminated"):
                check(notify.body.startswith(b"SIP/2.0 200"), f"final NOTIFY {notify.body!r}")
        answer_bye(transferor_ua, 5.0)
        check(caller.ask("BYE") == 200, "the transferee's BYE was not answered 200")
        bye = target.next(lambda m: m.start_line.startswith("BYE "), 5.0)
        target.answer(bye, 200, "OK", "tlsxfer")
    finally:
        target.close()
        caller_ua.close()
        transferor_ua.close()


def trunk(parley, tmp, data):
    cert, key = make_certificate(tmp, "provider")
    provider_port = free_ports_in(*PROVIDER_PORTS, tcp=True)[0]
    registrar = TlsRegistrar(provider_port, cert, key, TRUNK_USER, TRUNK_PASSWORD)
    try:
        run_cli(parley, data, "trunk", "add", f"tls@{DOMAIN}", "--host", "127.0.0.1", "--port",
                str(provider_port), "--transport", "tls", "--register", "--username",
                TRUNK_USER, "--password", TRUNK_PASSWORD, "--expires", "60")
        config = media_config(tmp, 52100, 52199,
                              "[trunks]\nkeepalive_interval_s = 0.3\nregister_retry_min_s = 1\n"
                              f'tls_ca_file = "{cert}"\n')
        with ParleyServer(parley, data_dir=data, args=["--config", config]) as server:
            check(registrar.registered.wait(10), "trunk did not register over TLS within 10 s")
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and len(registrar.seen("OPTIONS")) < 2:
                time.sleep(0.1)
            registers = registrar.seen("REGISTER")
            options = registrar.seen("OPTIONS")
            check(len(registers) >= 2, f"{len(registers)} REGISTERs (wanted the 401 round)")
            for _, request in registers[:1]:
                check((request.header("Via") or "").startswith("SIP/2.0/TLS "),
                      f"trunk REGISTER Via {request.header('Via')!r}")
                check("transport=tls" in (request.header("Contact") or "").lower(),
                      f"trunk REGISTER Contact {request.header('Contact')!r}")
            check(len(options) >= 2, f"{len(options)} OPTIONS keep-alives over TLS")
            used = {n for n, _ in registers + options}
            check(used == {1}, f"requests came over connections {sorted(used)}, wanted one")
            # The status file is rewritten every second: wait for the registration to show.
            deadline = time.monotonic() + 4
            status = run_cli(parley, data, "trunk", "status")
            while time.monotonic() < deadline and not re.search(r"\btls +registered\b", status):
                time.sleep(0.3)
                status = run_cli(parley, data, "trunk", "status")
            check(re.search(r"\btls +registered\b", status) is not None, f"trunk status: {status}")
            if problems:
                print("---- server stderr (tail) ----\n" + server.stderr_text()[-3000:])
            check(server.stop() == 0, "server did not exit 0 on SIGTERM")
    finally:
        registrar.close()


def main():
    args = script_arguments()
    if shutil.which("openssl") is None:
        print("FAIL: `openssl` not found")
        return 1
    with provisioned(args.parley, "parley-tls-", PASSWORDS) as (tmp, data):
        config = media_config(tmp, 52100, 52199,
                              '[auth]\nalgorithms = ["MD5"]\n[sip]\ntls_handshake_timeout_s = 1\n'
                              "tls_max_connections_per_ip = 8\n")
        with ParleyServer(args.parley, data_dir=data,
                          args=["--config", config, "--sip-tls-listen", "127.0.0.1:0",
                                "--workers", "2"]) as server:
            cafile = os.path.join(data, "https-certificate.pem")
            for name, run in (("phones over TLS", phones), ("defences", defences),
                              ("a trunk with mutual TLS", mutual_tls),
                              ("blind transfer to a phone over TLS", transfer_to_tls_phone)):
                print(f"- {name}", flush=True)
                try:
                    run(server, tmp, data, cafile)
                except (HarnessError, OSError) as error:
                    check(False, f"{name}: {error}")
            if problems:
                print("---- server stderr (tail) ----\n" + server.stderr_text()[-3000:])
            check(server.stop() == 0, "server did not exit 0 on SIGTERM")
        print("- trunk over TLS", flush=True)
        try:
            trunk(args.parley, tmp, data)
        except (HarnessError, OSError) as error:
            check(False, f"trunk: {error}")
    return report(problems, "phones and a trunk over TLS; stalled and garbage handshakes closed")


if __name__ == "__main__":
    run_main(main)
