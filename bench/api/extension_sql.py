#!/usr/bin/env python3
"""SQLite time per extension listing of bench/api/run.py's mix: the single-range statement
(before schema migration 10) against the UNION of two index seeks (after), on the benchmark's
own data (1,000,000 rows), with Python's sqlite3 on the same file, best of 5 per listing. Checks
that both return identical rows and prints both query plans.

Usage: bench/api/extension_sql.py PARLEY_BINARY   (any build; it only makes the data folder. With
a binary older than migration 10 the two indexes are built here and their build time printed.)
"""
import importlib.util, os, sqlite3, sys, time, urllib.parse, statistics, shutil, tempfile
spec = importlib.util.spec_from_file_location(
    "run", os.path.join(os.path.dirname(os.path.abspath(__file__)), "run.py"))
run = importlib.util.module_from_spec(spec); spec.loader.exec_module(run)
binary = sys.argv[1]
work = tempfile.mkdtemp(prefix="hangup-sql-")
data = os.path.join(work, "data")
token, cursors, first_ms, now_ms = run.make_data(binary, data, 1_000_000)
db = sqlite3.connect(os.path.join(data, "parley.db"))
print("schema version", db.execute("SELECT max(version) FROM schema_migrations").fetchone())
tenant = db.execute("SELECT id FROM tenants WHERE domain = ?", (run.DOMAIN,)).fetchone()[0]
COLS = ("id, tenant_id, call_id, caller, callee, start_ms, answer_ms, end_ms, disposition, "
        "hangup_side, end_reason")
OLD = (f"SELECT {COLS} FROM call_records WHERE tenant_id = ?1 AND start_ms >= ?2 "
       "AND (start_ms, id) < (?3, ?4) AND (?5 IS NULL OR caller = ?5 OR callee = ?5) "
       "AND (?6 IS NULL OR disposition = ?6) ORDER BY start_ms DESC, id DESC LIMIT ?7")
SIDE = (f"SELECT * FROM (SELECT {COLS} FROM call_records WHERE tenant_id = ?1 AND {{}} = ?5 "
        "AND start_ms >= ?2 AND (start_ms, id) < (?3, ?4) AND (?6 IS NULL OR disposition = ?6) "
        "ORDER BY start_ms DESC, id DESC LIMIT ?7)")
NEW = SIDE.format("caller") + " UNION " + SIDE.format("callee") + \
    " ORDER BY start_ms DESC, id DESC LIMIT ?7"
LO, HI = -2**63, 2**63 - 1
def params(path):
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(path).query))
    before = (HI, HI)
    if "to" in q: before = min(before, (int(q["to"]), LO))
    if "cursor" in q:
        s, i = q["cursor"].split("."); before = min(before, (int(s), int(i)))
    return q, (tenant, int(q.get("from", LO)), before[0], before[1], q.get("extension"),
               q.get("disposition"), int(q.get("limit", 50)))
paths = [p for p in run.request_paths(cursors, first_ms, now_ms, 9) if "extension=" in p]
kinds = {}
for p in paths:
    q, _ = params(p)
    kind = "extension" if set(q) == {"extension"} else \
        "extension + cursor" if "cursor" in q else "extension + answered + last 30 days"
    kinds.setdefault(kind, []).append(p)
def timed(sql, args, reps=5):
    best = None
    for _ in range(reps):
        t = time.perf_counter(); rows = db.execute(sql, args).fetchall()
        d = time.perf_counter() - t; best = d if best is None or d < best else best
    return best, rows
def measure(sql):
    out = {}
    for kind, ps in kinds.items():
        out[kind] = [timed(sql, params(p)[1]) for p in ps]
    return out
old = measure(OLD)
for r in db.execute("EXPLAIN QUERY PLAN " + OLD, params(kinds['extension'][0])[1]): print("  before:", r)
has_index = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'call_records_by_caller'").fetchone()[0]
if not has_index:
    t = time.perf_counter()
    db.execute("CREATE INDEX call_records_by_caller ON call_records (tenant_id, caller, start_ms DESC, id DESC)")
    db.execute("CREATE INDEX call_records_by_callee ON call_records (tenant_id, callee, start_ms DESC, id DESC)")
    db.commit()
    print(f"built the two indexes in {time.perf_counter() - t:.1f} s (what migration 10 costs on this file)")
old_after = measure(OLD)
for r in db.execute("EXPLAIN QUERY PLAN " + OLD, params(kinds['extension'][0])[1]): print("  old with indexes:", r)
new = measure(NEW)
for kind in kinds:
    print(f"  old statement with the new indexes, {kind}: {statistics.mean(x[0] for x in old_after[kind]) * 1000:.2f} ms")
for kind in kinds:
    same = all(o[1] == n[1] for o, n in zip(old[kind], new[kind]))
    om = statistics.mean(x[0] for x in old[kind]) * 1000
    nm = statistics.mean(x[0] for x in new[kind]) * 1000
    print(f"{kind} ({len(kinds[kind])}): before {om:.2f} ms, after {nm:.3f} ms, identical rows: {same}")
for r in db.execute("EXPLAIN QUERY PLAN " + NEW, params(kinds['extension'][0])[1]): print(" ", r)
print("file size MiB", os.path.getsize(os.path.join(data, "parley.db")) / 2**20)
shutil.rmtree(work)
