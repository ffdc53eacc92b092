#!/usr/bin/env python3
"""Independent checker for faultline's JSON-lines event log (version 1).

The event tree (`faultline run --log FILE --log-format jsonl`) is the single
source of truth that every view renders (text log, stats, traces, docs), so
its invariants are tested here, by code that shares nothing with the
simulator:

  1 header    line 1 is {"schema": "faultline-events", "version": 1, ...};
     json     every other line parses as a JSON object;
     keys     ... with every required key, of the right type;
     layer    ... and a known layer.
  2 id-unique ids are unique;
     parent-missing  every parent id names a step in the file;
     parent-order    parent id < child id;
     depth     depth = parent's depth + 1 (0 at top);
     closing-order   a step's line comes before its parent's line.
  3 total     total == self + sum of the children's totals (the children
              on the parent's vCPU: one on another, a shootdown's handler on
              its target, runs on that vCPU's cycle count).
  4 containment  a child lies within its parent's [cycle, cycle + total]
              (on the same vCPU).
  5 overlap   siblings, in id order, do not overlap (on the same vCPU;
              top-level steps are compared per vCPU: each vCPU has its own
              cycle count).
  6 fault-root     a fault root has a fault number, visible (bool), fields.kind;
     fault-numbering  roots are numbered 1, 2, 3, ... in id order;
     fault-inherit    every other step carries its innermost root's number,
                      or null outside any fault.
  7 src-format / src-missing / src-line  `src` is "path:LINE", path exists
     under --src-root and 1 <= LINE <= its line count.
  8 stats-total / stats-visible / stats-hidden / stats-layer  (with --stats)
     the log adds up to the simulator's stats JSON.
  9 expect-nested  (--expect-nested A:B) some step of layer A has an
     ancestor of layer B.
 10 sample    a {"sample": {...}} line (run --log-samples) holds cpu,
              icount, cycle and counters, all non-negative integers, each
              counter and icount never decreasing on its vCPU.

Lines are written when a step CLOSES, so children come before their parent.
The checker streams: a step's facts are held only until its parent's line
arrives (plus one int per id for the uniqueness check and a few ints per
fault root / top-level step), so logs of a few hundred thousand lines take
a few seconds.

usage: evtree_check.py LOG.jsonl [--stats STATS.json] [--src-root DIR]
                       [--expect-nested A:B ...] [--quiet]
Prints one line per violated rule (with the first few offending ids or line
numbers) and exits 1, or prints an `ok:` summary and exits 0.
"""
import argparse
import json
import operator
import os
import sys

SCHEMA = "faultline-events"
VERSION = 1
LAYERS = ("hw", "host-kernel", "hypervisor", "guest-kernel", "vkernel", "libos",
          "extension", "user")
LAYER_BIT = {name: 1 << i for i, name in enumerate(LAYERS)}
SHOW = 5  # offending ids shown per rule

# rule -> what it means; the order is the order violations are printed in
RULES = [
    ("header", "line 1 is not a faultline-events version 1 header"),
    ("json", "lines that are not a JSON object"),
    ("keys", "steps with a missing or mistyped required key"),
    ("layer", "steps with an unknown layer"),
    ("id-unique", "duplicate step ids"),
    ("parent-missing", "steps whose parent id is not in the file"),
    ("parent-order", "steps whose parent id is not smaller than their own id"),
    ("depth", "steps whose depth is not the parent's depth + 1 (0 at top)"),
    ("closing-order", "steps whose line comes after their parent's line"),
    ("total", "steps whose total != self + sum of the children's totals"),
    ("containment", "steps that do not lie within their parent's cycles"),
    ("overlap", "steps that start before the previous sibling ends"),
    ("fault-root", "fault roots without a fault number, a bool visible or a string fields.kind"),
    ("fault-numbering", "fault roots not numbered 1, 2, 3, ... in id order"),
    ("fault-inherit", "steps whose fault is not the innermost fault root's number (null outside faults)"),
    ("src-format", "steps whose src is not a relative \"path:LINE\""),
    ("src-missing", "steps whose src file does not exist under the source root"),
    ("src-line", "steps whose src line is outside the file"),
    ("stats-total", "sum of top-level totals != stats fault_cycles.total"),
    ("stats-visible", "visible fault roots != stats page_faults.guest"),
    ("stats-hidden", "hidden fault roots != stats page_faults.hidden"),
    ("stats-layer", "per-layer sum of self != stats fault_cycles[layer]"),
    ("expect-nested", "no step of layer A has an ancestor of layer B, for A:B in"),
]
RULE_DOC = dict(RULES)
WHOLE_LOG = {"header", "stats-total", "stats-visible", "stats-hidden", "stats-layer",
             "expect-nested"}

# key -> (accepted types, may be null); bool is rejected where int is wanted
REQUIRED = {
    "id": (int, False), "parent": (int, True), "depth": (int, False),
    "fault": (int, True), "pid": (int, False), "cpu": (int, False),
    "cycle": (int, False), "self": (int, False), "total": (int, False),
    "layer": (str, False), "step": (str, False), "src": (str, False),
    "fields": (dict, False),  # a JSON object
}


class Violations:
    def __init__(self):
        self.count = {}
        self.first = {}
        self.detail = {}

    def add(self, rule, what, detail=None):
        assert rule in RULE_DOC, rule
        n = self.count.get(rule, 0)
        self.count[rule] = n + 1
        if n < SHOW:
            self.first.setdefault(rule, []).append(str(what))
        if detail is not None and rule not in self.detail:
            self.detail[rule] = detail

    def report(self, out):
        for rule, doc in RULES:
            if rule not in self.count:
                continue
            n = self.count[rule]
            shown = ", ".join(self.first.get(rule, []))
            more = ", ..." if n > SHOW else ""
            if rule in WHOLE_LOG:  # one finding about the whole log
                line = "FAIL %s: %s: %s%s" % (rule, doc, shown, more)
            else:
                line = "FAIL %s: %d %s (%s%s)" % (rule, n, doc, shown, more)
            if rule in self.detail:
                line += "; " + self.detail[rule]
            print(line, file=out)

    def __bool__(self):
        return bool(self.count)


class SrcChecker:
    """Checks `src` strings, caching each file's line count and each verdict."""

    def __init__(self, root, bad):
        self.root = root
        self.bad = bad
        self.lines = {}    # path -> line count, or None when missing
        self.verdict = {}  # src string -> rule name or None

    def line_count(self, path):
        if path not in self.lines:
            full = os.path.join(self.root, path)
            try:
                with open(full, "rb") as f:
                    data = f.read()
                n = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
            except OSError:
                n = None
            self.lines[path] = n
        return self.lines[path]

    def check(self, sid, src):
        if src not in self.verdict:
            self.verdict[src] = self._judge(src)
        rule = self.verdict[src]
        if rule:
            self.bad.add(rule, "%d(%s)" % (sid, src))

    def _judge(self, src):
        path, sep, num = src.rpartition(":")
        if (not sep or not path or not num.isdigit() or os.path.isabs(path)
                or ".." in path.split("/")):
            return "src-format"
        n = self.line_count(path)
        if n is None:
            return "src-missing"
        if not 1 <= int(num) <= n:
            return "src-line"
        return None


_INTS = operator.itemgetter(*[k for k, (t, nul) in REQUIRED.items() if t is int and not nul])
_NULL_INTS = operator.itemgetter(*[k for k, (t, nul) in REQUIRED.items() if t is int and nul])
_STRS = operator.itemgetter(*[k for k, (t, nul) in REQUIRED.items() if t is str])
_INT, _NULL_INT, _STR = {int}, {int, type(None)}, {str}


def well_typed(e):
    """Fast check of every required key (bool is not an int here)."""
    try:
        return (set(map(type, _INTS(e))) == _INT and set(map(type, _NULL_INTS(e))) <= _NULL_INT
                and set(map(type, _STRS(e))) == _STR and type(e["fields"]) is dict)
    except KeyError:
        return False


def typed(v, want, nullable):
    if v is None:
        return nullable
    if want is int:
        return type(v) is int
    return isinstance(v, want)


class Pending:
    """What a not-yet-closed parent has learned from its children."""
    __slots__ = ("sum_total", "children", "mask")

    def __init__(self):
        self.sum_total = 0
        self.children = []  # (id, cycle, total, depth, fault, is_root)
        self.mask = 0       # layers present anywhere below the parent


def check(path, stats_path, src_root, expect, bad):
    seen = set()            # every id read so far (uniqueness, closing order)
    pending = {}            # parent id -> Pending
    roots = []              # (id, fault number) of fault roots
    tops = []               # (cpu, id, cycle, total) of top-level steps
    srcs = SrcChecker(src_root, bad)
    self_by_layer = dict.fromkeys(LAYERS, 0)
    top_total = 0
    nsteps = visible = hidden = max_depth = 0
    nested_found = set()
    expect_bits = [(a, b, LAYER_BIT[a], LAYER_BIT[b]) for a, b in expect]

    with open(path, "r", encoding="utf-8") as f:
        first = f.readline()
        try:
            hdr = json.loads(first)
        except ValueError:
            hdr = None
        if not (isinstance(hdr, dict) and hdr.get("schema") == SCHEMA
                and type(hdr.get("version")) is int and hdr.get("version") == VERSION):
            bad.add("header", first.strip()[:120] if first else "(empty file)")
        # the header's "kinds" map names each fault kind's class; faults of
        # class "intercept" (VM exits that are not page faults) are neither
        # visible nor hidden page faults in the stats
        kinds = hdr.get("kinds", {}) if isinstance(hdr, dict) else {}
        intercepts = 0

        lineno = 1
        last_sample = {}
        for line in f:
            lineno += 1
            try:
                e = json.loads(line)
            except ValueError:
                e = None
            if not isinstance(e, dict):
                bad.add("json", "line %d" % lineno)
                continue
            if "sample" in e:
                smp = e["sample"]
                ok = isinstance(smp, dict) and all(k in smp for k in ("cpu", "icount", "cycle")) and \
                    all(type(v) is int and v >= 0 for v in smp.values())
                if ok:
                    prev = last_sample.get(smp["cpu"], {})
                    ok = all(v >= prev.get(k, 0) for k, v in smp.items() if k != "cpu")
                    last_sample[smp["cpu"]] = smp
                if not ok:
                    bad.add("sample", "line %d" % lineno)
                continue
            if not well_typed(e):  # the slow path only names what is wrong
                missing = [k for k, (t, nul) in REQUIRED.items() if k not in e or not typed(e[k], t, nul)]
            else:
                missing = None
            sid = e.get("id") if type(e.get("id")) is int else "line %d" % lineno
            if missing or e["self"] < 0:
                bad.add("keys", sid, "e.g. line %d: %s" % (
                    lineno, ", ".join(missing) if missing else "self < 0"))
                continue
            layer = e["layer"]
            if layer not in LAYER_BIT:
                bad.add("layer", sid)
                continue
            nsteps += 1
            par, depth, fault = e["parent"], e["depth"], e["fault"]
            cycle, total = e["cycle"], e["total"]
            is_root = e["step"] == "fault"
            max_depth = max(max_depth, depth)

            if sid in seen:
                bad.add("id-unique", sid)
            srcs.check(sid, e["src"])
            self_by_layer[layer] += e["self"]

            if is_root:
                vis, kind = e.get("visible"), e["fields"].get("kind")
                if type(vis) is not bool or not isinstance(kind, str) or fault is None:
                    bad.add("fault-root", sid)
                if fault is not None:
                    roots.append((sid, fault))
                if vis is True:
                    visible += 1
                elif vis is False and kinds.get(kind) == "intercept":
                    intercepts += 1
                elif vis is False:
                    hidden += 1

            # close this step: everything its children told it
            mine = pending.pop(sid, None)
            mask = LAYER_BIT[layer]
            if mine is None:
                if total != e["self"]:
                    bad.add("total", sid)
            else:
                # (--cpus: a child on another vCPU -- a shootdown's handler on
                # its target -- is on that vCPU's clock: not in this step's
                # time, its containment or its siblings' order)
                same = [c for c in mine.children if c[6] == e["cpu"]]
                if total != e["self"] + sum(c[2] for c in same):
                    bad.add("total", sid)
                below = mine.mask
                mask |= below
                for a, b, abit, bbit in expect_bits:
                    if layer == b and below & abit:
                        nested_found.add((a, b))
                prev_end = None
                for cid, ccyc, ctot, cdep, cfault, croot, ccpu in sorted(mine.children):
                    if cdep != depth + 1:
                        bad.add("depth", cid)
                    if not croot and cfault != fault:
                        bad.add("fault-inherit", cid)
                    if ccpu != e["cpu"]:
                        continue
                    if ccyc < cycle or ccyc + ctot > cycle + total:
                        bad.add("containment", cid)
                    if prev_end is not None and ccyc < prev_end:
                        bad.add("overlap", cid)
                    prev_end = ccyc + ctot

            # tell the parent, which closes later
            if par is None:
                if depth != 0:
                    bad.add("depth", sid)
                if not is_root and fault is not None:
                    bad.add("fault-inherit", sid)
                tops.append((e["cpu"], sid, cycle, total))
                top_total += total
            elif par in seen:
                bad.add("closing-order", sid)
            else:
                p = pending.get(par)
                if p is None:
                    p = pending[par] = Pending()
                p.sum_total += total
                p.children.append((sid, cycle, total, depth, fault, is_root, e["cpu"]))
                p.mask |= mask
            if par is not None and par >= sid:
                bad.add("parent-order", sid)
            seen.add(sid)

    for par, p in pending.items():  # parents that never closed
        for c in p.children:
            bad.add("parent-missing", c[0])

    # top-level siblings: one timeline per vCPU (each has its own cycle count)
    tops.sort()
    for i in range(1, len(tops)):
        pcpu, _, pcyc, ptot = tops[i - 1]
        cpu, sid, cyc, _ = tops[i]
        if cpu == pcpu and cyc < pcyc + ptot:
            bad.add("overlap", sid)

    roots.sort()
    for n, (sid, fault) in enumerate(roots, 1):
        if fault != n:
            bad.add("fault-numbering", sid, "fault %s where %d expected" % (fault, n))

    for a, b in expect:
        if (a, b) not in nested_found:
            bad.add("expect-nested", "%s:%s" % (a, b))

    if stats_path:
        check_stats(stats_path, top_total, visible, hidden, self_by_layer, bad, intercepts)

    return nsteps, len(roots), visible, hidden, max_depth


def check_stats(stats_path, top_total, visible, hidden, self_by_layer, bad, intercepts=0):
    with open(stats_path, "r", encoding="utf-8") as f:
        st = json.load(f)
    if not isinstance(st, dict):
        st = {}
    fc = st.get("fault_cycles") if isinstance(st.get("fault_cycles"), dict) else {}
    pf = st.get("page_faults") if isinstance(st.get("page_faults"), dict) else {}
    want = fc.get("total")
    if want != top_total:
        bad.add("stats-total", "log %d, stats %s" % (top_total, want))
    if pf.get("guest") != visible:
        bad.add("stats-visible", "log %d, stats %s" % (visible, pf.get("guest")))
    if pf.get("hidden") != hidden:
        bad.add("stats-hidden", "log %d, stats %s" % (hidden, pf.get("hidden")))
    ev = st.get("events")
    if isinstance(ev, dict) and ev.get("intercepts") != intercepts:
        bad.add("stats-hidden", "intercepted exits: log %d, stats %s" % (intercepts, ev.get("intercepts")))
    for layer in LAYERS:
        if self_by_layer[layer] != fc.get(layer, 0):
            bad.add("stats-layer", "%s: log %d, stats %s" % (layer, self_by_layer[layer],
                                                             fc.get(layer, 0)))


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="Check a faultline jsonl event log.")
    ap.add_argument("log")
    ap.add_argument("--stats", help="the simulator's stats JSON for the same run")
    ap.add_argument("--src-root", default=os.path.dirname(os.path.dirname(here)),
                    help="directory `src` paths are relative to (default: the repository root)")
    ap.add_argument("--expect-nested", action="append", default=[], metavar="A:B",
                    help="require a step of layer A with an ancestor of layer B (repeatable)")
    ap.add_argument("--quiet", action="store_true", help="print nothing when the log is ok")
    args = ap.parse_args(argv)

    expect = []
    for spec in args.expect_nested:
        a, sep, b = spec.partition(":")
        if not sep or a not in LAYER_BIT or b not in LAYER_BIT:
            ap.error("--expect-nested wants LAYER:LAYER from %s, got %r" % (", ".join(LAYERS), spec))
        expect.append((a, b))

    bad = Violations()
    try:
        steps, faults, vis, hid, depth = check(args.log, args.stats, args.src_root, expect, bad)
    except (OSError, ValueError) as exc:
        print("FAIL: %s" % exc, file=sys.stdout)
        return 1
    if bad:
        bad.report(sys.stdout)
        return 1
    if not args.quiet:
        print("ok: %d steps, %d faults (%d visible, %d hidden), max depth %d"
              % (steps, faults, vis, hid, depth))
    return 0


if __name__ == "__main__":
    sys.exit(main())
