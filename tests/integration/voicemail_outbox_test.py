#!/usr/bin/env python3
"""Voicemail e-mail survives a restart (decision 0040): the outbox in the store.

1. [smtp] points at the test's SMTP sink (voicemail_email_test.py's), which answers every RCPT
   with 451 for now. 1001 leaves 1002 a message (2 s of 700 Hz); Parley tries to mail it and
   is refused at least twice (retry_s = 0.2, the back-off doubling).
2. SIGTERM: the server exits 0 with the mail unsent. Its outbox row is in the database: the
   message, the recipient, the attempts made (>= 2) and a next attempt in the future.
3. The sink accepts mail again; the server starts on the same data folder: exactly one mail
   arrives, for alice@example.com, with the WAV holding the 700 Hz tone attached. After the
   second stop the outbox is empty.

Parley's RTP ports are 59400-59499, the test peer's 59500-59599, the sink's port one of
59600-59699.
"""

import os
import sqlite3
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from parley_harness import HarnessError, ParleyServer, report, run_main  # noqa: E402
from pbx_scenario import (finish, media_config, provisioned, run_scenarios,  # noqa: E402
                          script_arguments)
# The sink, the CLI set-up, the caller and the mail's judge are the e-mail test's; so is the
# problem list (`check` fills it), which this test reports.
from voicemail_email_test import (MAILBOX, PASSWORDS, Sink, check, judge_mail,  # noqa: E402
                                  leave_message, problems, scenario_cli)

PARLEY_PORTS = range(59400, 59500)
PEER_PORTS = range(59500, 59600, 2)
SINK_PORTS = range(59600, 59700)


def outbox_rows(data: str) -> list[tuple]:
    db = sqlite3.connect(f"file:{os.path.join(data, 'parley.db')}?mode=ro", uri=True)
    try:
        return db.execute("SELECT o.recipient, o.attempts, o.next_attempt, m.box FROM "
                          "voicemail_mail_outbox o JOIN voicemail_messages m "
                          "ON m.id = o.message_id").fetchall()
    finally:
        db.close()


def wait_for_refusals(sink: Sink, count: int, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with sink.lock:
            if sink.sessions >= count:
                break
        time.sleep(0.05)
    with sink.lock:
        return sink.sessions


def main():
    args = script_arguments(__doc__)
    sink = Sink(SINK_PORTS)
    sink.refuse_first_rcpt = False  # refuse_all decides
    sink.refuse_all = True
    try:
        with provisioned(args.parley, "parley-voicemail-outbox-", PASSWORDS) as (tmp, data):
            print("- CLI", flush=True)
            scenario_cli(args.parley, data)
            config = media_config(tmp, PARLEY_PORTS.start, PARLEY_PORTS.stop - 1,
                                  f"[smtp]\nhost = \"127.0.0.1\"\nport = {sink.port}\n"
                                  "from = \"parley@pbx.test\"\nhelo = \"pbx.test\"\n"
                                  "retry_s = 0.2\nattempts = 20\ntimeout_s = 5\n")
            with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
                run_scenarios([("a voicemail for 1002, its mail refused",
                                lambda: leave_message(server, PEER_PORTS, PARLEY_PORTS))], check)
                refused = wait_for_refusals(sink, 2, 10.0)
                print(f"  the sink refused {refused} attempt(s)", flush=True)
                check(refused >= 2, f"only {refused} SMTP attempt(s) before the stop")
                with sink.lock:
                    check(not sink.messages, "a mail arrived while the sink refused")
                print("- SIGTERM with the mail unsent", flush=True)
                finish(server, problems, check)
            rows = outbox_rows(data)
            print(f"  outbox after the stop: {rows}", flush=True)
            if check(len(rows) == 1, f"{len(rows)} outbox rows after the stop, expected 1"):
                recipient, attempts, next_attempt, box = rows[0]
                check(recipient == MAILBOX and box == "1002", f"outbox row {rows[0]}")
                check(attempts >= 2, f"the outbox kept {attempts} attempts, expected >= 2")
                check(next_attempt > (time.time() - 5) * 1000,
                      f"next attempt {next_attempt} is long past")
            sink.refuse_all = False
            with sink.lock:
                sink.sessions = 0
            print("- restart: the outbox's mail reaches the sink once", flush=True)
            with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
                judge_mail(sink, sessions_expected=1)
                finish(server, problems, check)
            rows = outbox_rows(data)
            check(rows == [], f"the outbox still holds {rows} after the mail was sent")
    except HarnessError as error:
        check(False, str(error))
    finally:
        sink.close()
    return report(problems, "voicemail e-mail queued at shutdown is sent after the restart")


if __name__ == "__main__":
    run_main(main)
