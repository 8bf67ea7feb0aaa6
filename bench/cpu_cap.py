"""Runs a benchmark's servers under the same CPU budget, so their highest rates can be compared.

Why: on this project's two-core machines the load generator (SIPp) runs out of CPU long before
either server does, so an uncapped ladder ends at the generator's ceiling for both and says
nothing about the servers. Put each server, all of its processes and threads, in its own cpu
cgroup with the same quota (say 10 % of one core) and the server becomes the bottleneck: the
highest rate it sustains is then rate = budget / CPU per request, measured end to end (kernel
time of its own system calls included), and the ratio of two servers' rates is the ratio of
what each does with the same CPU.

Works with the cgroup v1 cpu controller (/sys/fs/cgroup/cpu) and with cgroup v2
(/sys/fs/cgroup/cgroup.controllers listing "cpu"). Needs root. Python standard library only.
"""

import os

V1_ROOT = "/sys/fs/cgroup/cpu"
V2_ROOT = "/sys/fs/cgroup"


def _v2_has_cpu():
    try:
        with open(os.path.join(V2_ROOT, "cgroup.controllers")) as f:
            return "cpu" in f.read().split()
    except OSError:
        return False


def available():
    """Why a cap cannot be set here, or None when it can."""
    if os.geteuid() != 0:
        return "needs root (cgroup files)"
    if _v2_has_cpu() or os.path.exists(os.path.join(V1_ROOT, "cpu.cfs_quota_us")):
        return None
    return "no cpu cgroup controller mounted"


class CpuCap:
    """One cgroup with `percent` of one core. A short period (10 ms, longer only for caps under
    10 %) keeps a throttled server's pauses short, so requests wait a few ms rather than tens."""

    def __init__(self, name, percent, period_us=10000):
        why = available()
        if why:
            raise RuntimeError(f"cannot cap CPU: {why}")
        if not 0 < percent <= 100 * (os.cpu_count() or 1):
            raise ValueError(f"a CPU cap of {percent}% of one core is not possible here")
        self.percent = percent
        self.v2 = _v2_has_cpu()
        root = V2_ROOT if self.v2 else V1_ROOT
        self.path = os.path.join(root, f"parley-bench-{name}-{os.getpid()}")
        os.makedirs(self.path, exist_ok=True)
        # The kernel's smallest quota is 1 ms: small caps get a longer period instead.
        period_us = max(period_us, int(1000 * 100 / percent) + 1)
        quota = int(period_us * percent / 100)
        if self.v2:
            with open(os.path.join(V2_ROOT, "cgroup.subtree_control"), "w") as f:
                f.write("+cpu")
            self._write("cpu.max", f"{quota} {period_us}")
        else:
            self._write("cpu.cfs_period_us", str(period_us))
            self._write("cpu.cfs_quota_us", str(quota))

    def _write(self, name, value):
        with open(os.path.join(self.path, name), "w") as f:
            f.write(value)

    def add(self, pids):
        """Moves whole processes (every thread) into the cgroup."""
        for pid in pids:
            try:
                self._write("cgroup.procs", str(pid))
            except ProcessLookupError:
                pass

    def throttled(self):
        """(periods throttled, seconds throttled) so far."""
        stats = {}
        with open(os.path.join(self.path, "cpu.stat")) as f:
            for line in f:
                key, _, value = line.partition(" ")
                stats[key] = int(value)
        if self.v2:
            return stats.get("nr_throttled", 0), stats.get("throttled_usec", 0) / 1e6
        return stats.get("nr_throttled", 0), stats.get("throttled_time", 0) / 1e9

    def close(self):
        """Removes the cgroup; its processes must have exited (or they move to the root)."""
        root = V2_ROOT if self.v2 else V1_ROOT
        try:
            with open(os.path.join(self.path, "cgroup.procs")) as f:
                left = [line.strip() for line in f if line.strip()]
            for pid in left:
                try:
                    with open(os.path.join(root, "cgroup.procs"), "w") as f:
                        f.write(pid)
                except OSError:
                    pass
            os.rmdir(self.path)
        except OSError:
            pass


def cap_each(servers, percent, log=print):
    """One CpuCap per server (an object with .name and .pids()), each with `percent` of a core.
    Returns the caps; close them after the servers have stopped."""
    log(f"  each server capped at {percent:g}% of one core (its own cpu cgroup); SIPp uncapped")
    caps = []
    for server in servers:
        caps.append(CpuCap(server.name.lower().replace(" ", "-"), percent))
        caps[-1].add(server.pids())
    return caps
