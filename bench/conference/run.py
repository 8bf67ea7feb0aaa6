#!/usr/bin/env python3
"""Conference mixing: participants per core, G.711 and Opus, one 100-person room and many
3-person rooms. Runs BUILD/bench/conference_bench (C++, see its header comment) once per
scenario and prints a Markdown table and the ratio to the issue's goal (1,000 G.711 participants
per core). Parley alone: Debian 12 ships no conference bridge to drive side by side (no Asterisk,
no FreeSWITCH; baresip's mixing is a user agent's, rtpengine does not mix N parties).

Usage: bench/conference/run.py BUILD_DIR [--json FILE] [--ticks N] [--quick]
Python standard library only. Every run is bounded (--timeout per scenario)."""

import argparse
import json
import os
import subprocess
import sys

GOAL_G711_PER_CORE = 1000

# (label, codec, rooms, room size, talkers per room, max speakers)
SCENARIOS = [
    ("one 100-person room, 4 talking", "pcmu", 1, 100, 4, 4),
    ("3-person rooms, 1 talking", "pcmu", 334, 3, 1, 4),
    ("3-person rooms, all 3 talking", "pcmu", 334, 3, 3, 4),
    ("10 × 100-person rooms, 4 talking each", "pcmu", 10, 100, 4, 4),
    ("one 100-person room, all talking, no speaker limit", "pcmu", 1, 100, 100, 0),
    ("one 100-person room, 4 talking", "opus", 1, 100, 4, 4),
    ("3-person rooms, 1 talking", "opus", 334, 3, 1, 4),
    ("3-person rooms, all 3 talking", "opus", 334, 3, 3, 4),
    ("one 100-person room, all talking, no speaker limit", "opus", 1, 100, 100, 0),
]


def run_scenario(binary, scenario, ticks, timeout):
    label, codec, rooms, size, talkers, speakers = scenario
    command = [binary, "--codec", codec, "--rooms", str(rooms), "--room-size", str(size),
               "--talkers", str(talkers), "--max-speakers", str(speakers), "--ticks", str(ticks)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["label"] = label
    result["command"] = " ".join(command)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--ticks", type=int, default=500, help="measured 20 ms ticks per run")
    parser.add_argument("--quick", action="store_true", help="100 ticks per run")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per scenario")
    args = parser.parse_args()

    binary = os.path.join(args.build, "bench", "conference_bench")
    if not os.access(binary, os.X_OK):
        print(f"{binary} not built (release preset, target conference_bench)", file=sys.stderr)
        return 1
    ticks = 100 if args.quick else args.ticks
    with open("/proc/loadavg", encoding="ascii") as f:
        load = " ".join(f.read().split()[:3])
    print(f"conference mixing, {ticks} ticks per run, load average before: {load}")

    results = []
    for scenario in SCENARIOS:
        result = run_scenario(binary, scenario, ticks, args.timeout)
        results.append(result)
        print(f"  {result['codec']:5} {result['label']}: {result['participants']} participants, "
              f"{result['cpu_us_per_participant_tick']:.2f} µs per participant-tick, "
              f"{result['participants_per_core']:.0f} per core", flush=True)

    print()
    print("| codec | layout | participants | room rate | encodes per tick | CPU µs per tick "
          "| CPU µs per participant-tick | participants per core | heap KB per participant "
          "| RSS KB per participant |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['codec']} | {r['label']} | {r['participants']} | {r['room_rate']} "
              f"| {r['encodes_per_tick']:.0f} | {r['cpu_us_per_tick']:.0f} "
              f"| {r['cpu_us_per_participant_tick']:.2f} | {r['participants_per_core']:,.0f} "
              f"| {r['heap_bytes_per_participant'] / 1024:.1f} "
              f"| {r['rss_kb_per_participant']:.1f} |")
    print()
    g711 = [r for r in results if r["codec"] == "pcmu" and r["max_speakers"] > 0]
    worst = min(g711, key=lambda r: r["participants_per_core"])
    print(f"goal: {GOAL_G711_PER_CORE:,} G.711 participants per core; worst G.711 layout "
          f"({worst['label']}) reaches {worst['participants_per_core']:,.0f}, "
          f"ratio {worst['participants_per_core'] / GOAL_G711_PER_CORE:.1f}× the goal")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"load_before": load, "ticks": ticks, "results": results,
                       "goal_g711_per_core": GOAL_G711_PER_CORE}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
