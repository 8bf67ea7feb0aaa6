#!/usr/bin/env python3
"""Voicemail to e-mail (decision 0034) with the real `parley serve` and a local SMTP sink that
this test runs itself (Python's socketserver, speaking the RFC 5321 dialogue).

1. CLI: `parley voicemail email 1002@example.com alice@example.com` sets the address; a bad
   address and a missing one are refused; `--clear` on 1003 works.
2. [smtp] points at the sink. 1002 is not registered and forwards on no answer to voicemail:
   1001 calls it, hears the beep, sends 2 s of 700 Hz and hangs up.
3. The sink refuses the first attempt's RCPT with 451 (a transient failure); Parley tries again
   after smtp.retry_s and the sink gets exactly one message, for alice@example.com, with
   "1001" in the subject, and an audio/wav attachment that decodes (base64) to a WAV holding
   the 700 Hz tone.

Parley's RTP ports are 54500-54599 and the test peer's 54600-54699; the sink listens on a free
port in 54900-54999 (no other test uses them).
"""

import email
import email.policy
import io
import os
import socketserver
import sys
import threading
import time
import wave

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import DOMAIN, Caller  # noqa: E402
from media_peer import RtpPeer, goertzel_amplitude, pcmu_frames, rms, samples_of  # noqa: E402
from media_test import Sdp, make_sdp  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main, run_parley  # noqa: E402
from pbx_scenario import (checker, finish, media_config, provisioned, run_scenarios,  # noqa: E402
                          script_arguments)
from sip_client import SipUA  # noqa: E402

PASSWORDS = {"1001": "pw-1001-secret", "1002": "pw-1002-secret", "1003": "pw-1003-secret"}
PEER_PORTS = range(54600, 54700, 2)
SINK_PORTS = range(54900, 55000)
AMPLITUDE = 8000
MAILBOX = "alice@example.com"
problems, check = checker()


class SinkHandler(socketserver.StreamRequestHandler):
    """One SMTP session: 220, then EHLO/HELO, MAIL, RCPT, DATA (un-dot-stuffed), RSET, NOOP,
    QUIT. The server's `refuse_first_rcpt` makes the first session's RCPT a 451."""

    timeout = 10  # a stalled client cannot hold the sink

    def reply(self, text: str):
        self.wfile.write(text.encode() + b"\r\n")

    def handle(self):
        sink = self.server
        with sink.lock:
            sink.sessions += 1
            session = sink.sessions
        envelope = {"from": None, "to": []}
        self.reply("220 sink.test ESMTP test sink")
        for _ in range(100):  # bounded: a client never needs more commands
            line = self.rfile.readline(1001)
            if not line:
                return
            command = line.decode("ascii", "replace").rstrip("\r\n")
            with sink.lock:
                sink.commands.append(command)
            verb = command[:4].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-sink.test\r\n250-8BITMIME\r\n250 SIZE 20000000\r\n")
            elif verb == "HELO" or verb == "NOOP" or verb == "RSET":
                self.reply("250 ok")
            elif verb == "MAIL":
                envelope["from"] = command[10:].strip("<>")
                self.reply("250 ok")
            elif verb == "RCPT":
                if sink.refuse_all or (sink.refuse_first_rcpt and session == 1):
                    self.reply("451 4.3.0 try again later")
                else:
                    envelope["to"].append(command[8:].strip("<>"))
                    self.reply("250 ok")
            elif verb == "DATA":
                if not envelope["to"]:
                    self.reply("554 no valid recipients")
                    continue
                self.reply("354 end with <CRLF>.<CRLF>")
                lines = []
                while True:  # bounded by the socket timeout and the size check
                    data_line = self.rfile.readline(100_000)
                    if not data_line or data_line == b".\r\n":
                        break
                    if data_line.startswith(b"."):
                        data_line = data_line[1:]
                    lines.append(data_line)
                    if len(lines) > 500_000:
                        self.reply("552 too much")
                        return
                with sink.lock:
                    sink.messages.append((envelope["from"], list(envelope["to"]), b"".join(lines)))
                self.reply("250 2.0.0 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class Sink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, ports=SINK_PORTS):
        self.lock = threading.Lock()
        self.sessions = 0
        self.commands: list[str] = []
        self.messages: list[tuple] = []
        self.refuse_first_rcpt = True
        self.refuse_all = False  # every RCPT 451 while set (voicemail_outbox_test.py)
        last_error = None
        for port in ports:
            try:
                super().__init__(("127.0.0.1", port), SinkHandler)
                break
            except OSError as error:
                last_error = error
        else:
            raise HarnessError(f"no free sink port in {ports}: {last_error}")
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def close(self):
        self.shutdown()
        self.server_close()


def scenario_cli(parley: str, data: str):
    def cli(*args):
        return run_parley(parley, ["voicemail", "email", *args, "--data", data])

    ok = cli(f"1002@{DOMAIN}", MAILBOX)
    check(ok.returncode == 0 and MAILBOX in ok.stdout, f"email set: {ok.stdout} {ok.stderr}")
    bad = cli(f"1003@{DOMAIN}", "not an address")
    check(bad.returncode == 1 and "e-mail" in bad.stderr, f"a bad address: {bad.stderr!r}")
    missing = cli(f"1003@{DOMAIN}")
    check(missing.returncode == 1, f"neither address nor --clear: exit {missing.returncode}")
    cleared = cli(f"1003@{DOMAIN}", "--clear")
    check(cleared.returncode == 0 and "not mailed" in cleared.stdout,
          f"--clear: {cleared.stdout} {cleared.stderr}")
    unknown = cli(f"1999@{DOMAIN}", MAILBOX)
    check(unknown.returncode == 1, "an address for an unknown extension was accepted")
    forward = run_parley(parley, ["user", "forward", f"1002@{DOMAIN}", "--no-answer", "voicemail",
                                  "--data", data])
    if forward.returncode != 0:
        raise HarnessError(f"user forward: {forward.stderr}")


def leave_message(server, peer_ports=PEER_PORTS, parley_ports=range(54500, 54600), box="1002"):
    """1001 calls `box` (its voicemail answers), waits for the beep, sends 2 s of 700 Hz and
    hangs up."""
    peer = RtpPeer(ports=peer_ports)
    ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
    try:
        caller = Caller(ua, box, make_sdp(peer.port, [(0, "PCMU/8000")]))
        ok = caller.connect(f"1001 calling {box}'s voicemail")
        answer = Sdp(ok.body)
        check(answer.port in parley_ports, f"RTP port {answer.port} outside {parley_ports}")
        time.sleep(1.0)  # the lead silence and the beep
        peer.send_frames((answer.ip, answer.port), 0, pcmu_frames(700.0, AMPLITUDE, 100), 160)
        check(caller.hang_up(ok) == 200, "BYE not answered 200")
    finally:
        peer.close()
        ua.close()


def judge_mail(sink: Sink, sessions_expected: int | None = 2):
    """Exactly one message arrives within 15 s, for MAILBOX from 1001 with the 700 Hz WAV
    attached; `sessions_expected` SMTP sessions (None: any number)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with sink.lock:
            if sink.messages:
                break
        time.sleep(0.05)
    time.sleep(0.5)  # a duplicate would arrive now
    with sink.lock:
        messages = list(sink.messages)
        sessions = sink.sessions
    print(f"  sink: {sessions} session(s), {len(messages)} message(s)", flush=True)
    if not check(len(messages) == 1, f"the sink got {len(messages)} messages, expected 1"):
        return
    check(sessions_expected is None or sessions == sessions_expected,
          f"{sessions} SMTP sessions, expected {sessions_expected}")
    sender, recipients, raw = messages[0]
    check(sender == "parley@pbx.test", f"MAIL FROM {sender!r}")
    check(recipients == [MAILBOX], f"RCPT TO {recipients}")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    subject = str(message["Subject"])
    print(f"  Subject: {subject}", flush=True)
    check("1001" in subject and "1002" in subject, f"subject names neither caller nor box: "
          f"{subject!r}")
    check(str(message["To"]).strip("<>") == MAILBOX, f"To: {message['To']}")
    check(message["Date"] is not None, "no Date header")
    body = message.get_body(preferencelist=("plain",))
    check(body is not None and "1001" in body.get_content(), "the text does not name the caller")
    wavs = [part for part in message.iter_attachments() if part.get_content_type() == "audio/wav"]
    if not check(len(wavs) == 1, f"{len(wavs)} audio/wav attachments"):
        return
    check(wavs[0]["Content-Transfer-Encoding"] == "base64", "the attachment is not base64")
    with wave.open(io.BytesIO(wavs[0].get_payload(decode=True)), "rb") as wav:
        rate = wav.getframerate()
        samples = samples_of(wav.readframes(wav.getnframes()))
    seconds = len(samples) / rate
    middle = samples[len(samples) // 4: 3 * len(samples) // 4]
    if not check(seconds >= 1.5 and len(middle) >= rate // 4, f"the WAV holds {seconds:.2f} s"):
        return
    tone = goertzel_amplitude(middle, rate, 700.0)
    purity = tone / (rms(middle) * 2 ** 0.5 + 1e-9)
    print(f"  attachment: {seconds:.2f} s at {rate} Hz, 700 Hz at {tone:.0f}, purity "
          f"{purity:.2f}", flush=True)
    check(AMPLITUDE * 0.7 <= tone <= AMPLITUDE * 1.3, f"700 Hz at {tone:.0f}, sent {AMPLITUDE}")
    check(purity > 0.85, f"the tone is only {purity:.2f} of the attachment")


def main():
    args = script_arguments(__doc__)
    sink = Sink()
    try:
        with provisioned(args.parley, "parley-voicemail-email-", PASSWORDS) as (tmp, data):
            print("- CLI", flush=True)
            scenario_cli(args.parley, data)
            config = media_config(tmp, 54500, 54599,
                                  f"[smtp]\nhost = \"127.0.0.1\"\nport = {sink.port}\n"
                                  "from = \"parley@pbx.test\"\nhelo = \"pbx.test\"\n"
                                  "retry_s = 0.3\ntimeout_s = 5\n")
            with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
                run_scenarios([("a voicemail for 1002", leave_message)], check, server)
                print("- the sink receives it, after one transient refusal", flush=True)
                judge_mail(sink)
                finish(server, problems, check)
    finally:
        sink.close()
    return report(problems, "voicemail reaches the mailbox through the SMTP relay")


if __name__ == "__main__":
    run_main(main)
