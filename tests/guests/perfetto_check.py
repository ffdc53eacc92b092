#!/usr/bin/env python3
"""Independent checks of `faultline export --perfetto` output (issue 17):
the JSON parses in the trace-event object form; every track is named;
every X slice nests within the one it opened in on its track, and within
its parent step wherever that is; every flow has one start and one end
(the end with "bp":"e") bound to a slice on its track; each fault's steps'
self cycles add up to its total (= its duration x 1000); the fault counters
count the top-level faults.  usage: perfetto_check.py FILE [--fault N]"""
import json, sys
from collections import defaultdict

path = sys.argv[1]
only_fault = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--fault" else None
bad = []
d = json.load(open(path))
ev = d["traceEvents"]
names = {(e["pid"], e.get("tid")) for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
X = [e for e in ev if e["ph"] == "X"]
if not X:
    bad.append("no slice")
EPS = 1e-6
by_id = {}
for e in X:
    if (e["pid"], e["tid"]) not in names:
        bad.append(f"slice {e['name']} on an unnamed track {e['pid']}/{e['tid']}")
    e["end"] = e["ts"] + e["dur"]
    by_id[e["args"]["id"]] = e
# nesting per track (a stack of open slices, in start order, longer first)
tracks = defaultdict(list)
for e in X:
    tracks[(e["pid"], e["tid"])].append(e)
for t, sl in tracks.items():
    sl.sort(key=lambda e: (e["ts"], -e["dur"], e["args"]["id"]))
    stack = []
    for e in sl:
        while stack:   # close what ended before e starts
            top = stack[-1]
            if (top["dur"] == 0 and e["ts"] > top["ts"] + EPS) or (top["dur"] > 0 and e["ts"] >= top["end"] - EPS):
                stack.pop()
                continue
            break
        if stack and e["end"] > stack[-1]["end"] + EPS:
            bad.append(f"track {t}: {e['name']} [{e['ts']}, {e['end']}] overlaps {stack[-1]['name']} [{stack[-1]['ts']}, {stack[-1]['end']}] without nesting")
        stack.append(e)
# within its parent step, on any track of the same vCPU (pid): a step on
# another vCPU (a shootdown's handler on its target) runs on that one's clock
for e in X:
    p = by_id.get(e["args"]["parent"])
    if p and p["pid"] == e["pid"] and not (p["ts"] - EPS <= e["ts"] and e["end"] <= p["end"] + EPS):
        bad.append(f"{e['name']} (id {e['args']['id']}) is outside its parent {p['name']}")
# flows
flows = defaultdict(list)
for e in ev:
    if e["ph"] in "stf":
        flows[(e["cat"], e["id"])].append(e)
for k, fl in flows.items():
    phs = [e["ph"] for e in fl]
    if phs.count("s") != 1 or phs.count("f") != 1:
        bad.append(f"flow {k}: {phs.count('s')} starts, {phs.count('f')} ends")
    for e in fl:
        if e["ph"] == "f" and e.get("bp") != "e":
            bad.append(f"flow {k}: its end has no bp=e")
        if not any(s["ts"] - EPS <= e["ts"] <= s["end"] + EPS for s in tracks[(e["pid"], e["tid"])]):
            bad.append(f"flow {k}: a {e['ph']} at {e['ts']} binds to no slice on its track")
# each fault's cycles
children = defaultdict(list)
for e in X:
    children[e["args"]["parent"]].append(e)
def self_sum(e):   # (a child on another vCPU costs that one's cycles, not these)
    return e["args"]["self_cycles"] + sum(self_sum(c) for c in children[e["args"]["id"]] if c["pid"] == e["pid"])
faults = [e for e in X if e["name"] == "fault" and (e["args"]["parent"] not in by_id)]
for e in faults:
    s = self_sum(e)
    if s != e["args"]["total_cycles"] or abs(e["dur"] * 1000 - s) > 0.5:
        bad.append(f"fault {e['args']['fault']}: steps add up to {s}, total {e['args']['total_cycles']}, dur {e['dur']}")
if only_fault is not None and {e["args"]["fault"] for e in faults} != {only_fault}:
    bad.append(f"--fault {only_fault}: the export has faults {sorted({e['args']['fault'] for e in faults})[:5]}")
# counters
counted = sum(e["args"]["seen by the guest kernel"] + e["args"]["hidden"] for e in ev if e["ph"] == "C" and e["name"] == "faults")
top = [e for e in faults if e["args"]["parent"] == 0]
if counted != len(top):
    bad.append(f"the fault counters count {counted}, there are {len(top)} top-level faults")
for b in bad[:10]:
    print("FAIL: " + b)
print(f"{'FAIL' if bad else 'ok'}: {path}: {len(X)} slices on {len(tracks)} tracks, {len(flows)} flows, "
      f"{len(faults)} faults whose steps add up" + (f" ({len(bad)} problems)" if bad else ""))
sys.exit(1 if bad else 0)
