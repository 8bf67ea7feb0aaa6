#!/usr/bin/env python3
"""A disk that fills up while Parley records (decision 0040): voicemail and call recording.

Why a real tmpfs and not RLIMIT_FSIZE: a file-size limit applies to every file the process
writes (the database's WAL, the prompt cache, its log on stderr), so a limit small enough for a
test message would break those first; a tmpfs mounted under the data folder fills exactly the
folders recordings go to, and the writers see the real ENOSPC. Mounting needs root (CI runs as
root): otherwise the test prints why and exits 77, which CTest reports as skipped.

The tmpfs (72 MB: the voicemail deposit refuses up front below 64 MB free, and this test is
about a disk that fills DURING the recording) is mounted at <tmp>/disk; <data>/voicemail and
<data>/recordings are symbolic links into it.

1. Voicemail: 1001 calls 1003 (unregistered, forwards to voicemail), waits for the beep and
   sends 700 Hz. While the message is being written the test fills the disk. The caller hears
   the apology (speech, by its level) and then gets a BYE from Parley; the box folder holds no
   .wav, .wav.part or .meta file.
2. Call recording (tenant default on): 1001 calls 1002, both send tones; the disk fills during
   the call; the call goes on until the caller hangs up normally; no recording file is left.
3. The disk is freed: the server still serves, and a new voicemail for 1003 is written whole.
   After the stop, the store holds exactly that one voicemail row and no recording row.

Parley's RTP ports are 59700-59799 and the voicemail peer's 59800-59899.
"""

import errno
import glob
import os
import sqlite3
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from call_client import DOMAIN, Caller, answer_bye  # noqa: E402
from media_peer import RtpPeer, pcmu_samples, rms  # noqa: E402
from media_test import Call, Sdp, make_sdp  # noqa: E402
from media_test import PASSWORDS as CALL_PASSWORDS  # noqa: E402
from parley_harness import HarnessError, ParleyServer, report, run_main, run_parley  # noqa: E402
from pbx_scenario import (finish, media_config, provisioned, registered,  # noqa: E402
                          run_scenarios, script_arguments)
from sip_client import SipUA  # noqa: E402
# The e-mail test's caller who leaves a message, and its problem list (its `check` fills it).
from voicemail_email_test import check, leave_message, problems  # noqa: E402

PASSWORDS = {**CALL_PASSWORDS, "1003": "pw-1003-secret"}
PARLEY_PORTS = range(59700, 59800)
PEER_PORTS = range(59800, 59900, 2)
DISK_MB = 72
SPEECH_RMS = 300  # espeak-ng speech as PCMU is far above this; Parley's silence is 0
SKIP = 77


def fill(disk: str) -> int:
    """Writes <disk>/filler until the tmpfs is full; returns the bytes written."""
    chunk = b"\0" * (1 << 20)
    written = 0
    with open(os.path.join(disk, "filler"), "wb", buffering=0) as f:
        for _ in range(DISK_MB * 2):  # bounded: the disk is DISK_MB
            try:
                written += f.write(chunk)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                break
    # The last partial chunk may have fit: top up byte-wise to the very last block.
    with open(os.path.join(disk, "filler"), "ab", buffering=0) as f:
        for size in (65536, 4096, 512, 1):
            for _ in range(64):
                try:
                    written += f.write(b"\0" * size)
                except OSError:
                    break
    return written


def free(disk: str):
    filler = os.path.join(disk, "filler")
    if os.path.exists(filler):
        os.remove(filler)


def box_files(disk: str) -> list[str]:
    return sorted(glob.glob(os.path.join(disk, "voicemail", "*", "1003", "*")))


def recording_files(disk: str) -> list[str]:
    """Every file under recordings/ (WAV or Ogg, whatever the format)."""
    return sorted(p for p in glob.glob(os.path.join(disk, "recordings", "**", "*"), recursive=True)
                  if os.path.isfile(p))


def scenario_voicemail(server, disk):
    peer = RtpPeer(ports=PEER_PORTS)
    ua = SipUA(server.udp, "1001", DOMAIN, PASSWORDS["1001"])
    try:
        caller = Caller(ua, "1003", make_sdp(peer.port, [(0, "PCMU/8000")]))
        ok = caller.connect("1001 calling 1003's voicemail")
        answer = Sdp(ok.body)
        to = (answer.ip, answer.port)
        time.sleep(1.0)  # the lead silence and the beep
        peer.start_tone(to, 700.0, 8000, ssrc=0x1234, seq=1000, ts=8000, max_frames=1000)
        deadline = time.monotonic() + 3.0
        while not any(p.endswith(".wav.part") for p in box_files(disk)):
            if time.monotonic() > deadline:
                raise HarnessError(f"no .wav.part in the box after 3 s: {box_files(disk)}")
            time.sleep(0.05)
        time.sleep(0.3)
        peer.clear()
        print(f"  recording: {box_files(disk)}; filling the disk", flush=True)
        print(f"  filled {fill(disk)} bytes", flush=True)
        try:
            answer_bye(ua, timeout=15.0)
            print("  Parley hung up", flush=True)
        except HarnessError:
            check(False, "no BYE from Parley within 15 s of the full disk")
        samples = pcmu_samples(peer.packets(0))
        level = rms(samples)
        loud = sum(1 for i in range(0, len(samples) - 160, 160)
                   if rms(samples[i:i + 160]) > SPEECH_RMS) * 0.02
        print(f"  the caller heard {len(samples) / 8000:.1f} s at RMS {level:.0f}, {loud:.1f} s "
              f"of it speech", flush=True)
        check(loud >= 1.5, f"no apology: only {loud:.1f} s above RMS {SPEECH_RMS}")
        time.sleep(0.5)  # the writer's next tick removes the partial files
        check(box_files(disk) == [], f"files left in the box: {box_files(disk)}")
    finally:
        peer.close()
        ua.close()


def scenario_recording(server, disk, callee):
    call = Call(server, callee, [(0, "PCMU/8000")], [(0, "PCMU/8000")])
    try:
        call.caller_rtp.start_tone(call.to_relay_from_caller, 1000.0, 8000, max_frames=300)
        call.callee_rtp.start_tone(call.to_relay_from_callee, 1600.0, 8000, ssrc=0x5678,
                                   max_frames=300)
        deadline = time.monotonic() + 3.0
        while not recording_files(disk):
            if time.monotonic() > deadline:
                raise HarnessError("no recording file after 3 s")
            time.sleep(0.05)
        time.sleep(0.3)
        print(f"  recording {recording_files(disk)}; filling the disk", flush=True)
        print(f"  filled {fill(disk)} bytes", flush=True)
        time.sleep(1.0)
        call.caller_rtp.clear()
        time.sleep(0.5)
        check(len(call.caller_rtp.packets(0)) > 10, "the call's audio stopped with the disk")
    finally:
        call.hang_up()
    time.sleep(0.6)  # the writer finishes the recording on its next tick
    check(recording_files(disk) == [], f"recording files left: {recording_files(disk)}")


def scenario_still_serving(server, disk):
    leave_message(server, PEER_PORTS, PARLEY_PORTS, box="1003")
    deadline = time.monotonic() + 3.0
    while not any(p.endswith(".wav") for p in box_files(disk)) and time.monotonic() < deadline:
        time.sleep(0.05)
    check([os.path.basename(p)[-4:] for p in box_files(disk)] == [".wav"],
          f"the box after a message on a freed disk: {box_files(disk)}")


def store_counts(data: str) -> tuple[int, int]:
    db = sqlite3.connect(f"file:{os.path.join(data, 'parley.db')}?mode=ro", uri=True)
    try:
        return (db.execute("SELECT count(*) FROM voicemail_messages").fetchone()[0],
                db.execute("SELECT count(*) FROM recordings").fetchone()[0])
    finally:
        db.close()


def wait_for_prompts(server, seconds: float = 60.0):
    """The apology must be synthesised before the disk fills (espeak-ng, at the first start)."""
    deadline = time.monotonic() + seconds
    while "voicemail prompts ready" not in server.stderr_text():
        if time.monotonic() > deadline:
            raise HarnessError(f"the voicemail prompts were not ready within {seconds:.0f} s")
        time.sleep(0.1)


def mount_disk(disk: str) -> str | None:
    """Mounts the tmpfs; the reason it cannot, or None."""
    if os.geteuid() != 0:
        return f"mounting a tmpfs needs root (uid {os.geteuid()})"
    os.makedirs(disk)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_MB}m,mode=0700", "tmpfs",
                           disk], capture_output=True, text=True, timeout=10)
    if done.returncode != 0:
        return f"mount -t tmpfs failed: {done.stderr.strip()}"
    return None


def main():
    args = script_arguments(__doc__)
    with provisioned(args.parley, "parley-disk-full-", PASSWORDS) as (tmp, data):
        disk = os.path.join(tmp, "disk")
        why_not = mount_disk(disk)
        if why_not:
            print(f"SKIPPED: {why_not}; a full disk cannot be made", flush=True)
            return SKIP
        try:
            for folder in ("voicemail", "recordings"):
                os.makedirs(os.path.join(disk, folder), mode=0o700)
                os.symlink(os.path.join(disk, folder), os.path.join(data, folder))
            for argv in (["user", "forward", f"1003@{DOMAIN}", "--no-answer", "voicemail"],
                         ["tenant", "record", DOMAIN, "on"]):
                done = run_parley(args.parley, [*argv, "--data", data])
                if done.returncode != 0:
                    raise HarnessError(f"parley {' '.join(argv)}: {done.stderr}")
            config = media_config(tmp, PARLEY_PORTS.start, PARLEY_PORTS.stop - 1)
            with ParleyServer(args.parley, data_dir=data, args=["--config", config]) as server:
                wait_for_prompts(server)
                callee = registered(server, "1002", PASSWORDS, check)
                try:
                    run_scenarios([
                        ("voicemail: the disk fills while the caller speaks",
                         lambda: scenario_voicemail(server, disk)),
                        (None, lambda: free(disk)),
                        ("call recording: the disk fills during the call",
                         lambda: scenario_recording(server, disk, callee)),
                        (None, lambda: free(disk)),
                        ("the disk freed: a voicemail is kept whole",
                         lambda: scenario_still_serving(server, disk)),
                    ], check)
                finally:
                    callee.close()
                log = server.stderr_text()
                check("could not be written" in log, "no warning about the failed message")
                finish(server, problems, check)
            voicemails, recordings = store_counts(data)
            print(f"  store: {voicemails} voicemail row(s), {recordings} recording row(s)",
                  flush=True)
            check(voicemails == 1, f"{voicemails} voicemail rows, expected the one whole message")
            check(recordings == 0, f"{recordings} recording rows for a recording the disk cut")
        finally:
            subprocess.run(["umount", "-l", disk], capture_output=True, timeout=10)
    return report(problems, "a full disk: the caller hears an apology, nothing half-written "
                            "is kept, the server goes on")


if __name__ == "__main__":
    run_main(main)
