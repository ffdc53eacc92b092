#!/usr/bin/env python3
"""golden_stats.py: every counter of every guest in every mode, bit for bit.

Speed work (issue 22) must not move a single modelled event.  This runs
each static guest of the suite (glibc and musl) under each configuration below and hashes
its stats JSON (all but the run's own `config` and `exit` blocks, as
tests/stats_same.py compares them); tests/golden/stats.tsv holds the
hashes the model gave when they were last regenerated, with the headline
counts so that a mismatch says what moved.

    golden_stats.py FAULTLINE GUEST_DIR GOLDEN [--update] [-j N] [--only RE]

Regenerate (--update) only in a commit of its own, when another change
moves the model on purpose, and say so in its message.  The goldens are
for the guests as this project's toolchain (Debian's gcc and glibc) builds
them: each line records the guest binary's hash, and a different binary
is reported as such, not as a model change.
"""
import argparse
import concurrent.futures as cf
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

# (name, arguments to faultline run): every mode, both vendors' exit paths,
# and the data-cache model that the fast path must keep exact
CONFIGS = [
    ("native", ["--mode", "native"]),
    ("native+cache", ["--mode", "native", "--set", "cache.enabled=1"]),
    ("vkernel", ["--mode", "vkernel"]),
    ("xen-pv", ["--mode", "xen-pv"]),
    ("hvm-shadow", ["--mode", "hvm-shadow"]),
    ("hvm-shadow-amd", ["--mode", "hvm-shadow", "--cpu", "amd"]),
    ("hvm-nested", ["--mode", "hvm-nested"]),
    ("exokernel", ["--mode", "exokernel"]),
    ("spin", ["--mode", "spin"]),
    ("tornado", ["--mode", "tornado"]),
]

# guests whose stats depend on the host by design (the determinism test
# skips the same ones): a root directory, the environment, host files,
# limits, a host temporary directory
HOST_DEPENDENT = {"sandbox.gcc", "envx.gcc", "fileio.gcc", "forkbomb.gcc",
                  "sigdeath.gcc", "coremem.gcc"}

WORKDIR = "/tmp/faultline-golden"

HEADLINE = ["instructions", "cycles", "page_faults.guest", "tlb.l1d.misses",
            "walks.refs", "vm_exits_total"]


def flatten(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from flatten(v, prefix + k + ".")
        else:
            yield prefix + k, v


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


def run_one(fl, guest, cfg_name, cfg_args):
    """One run with a clean environment in a directory whose host path
    depends only on the guest and the configuration (the guest sees it in
    /proc/self/exe and getcwd), as ./guest.  Some guests make files in the
    host's /tmp with mkstemp, whose names are the same in every run (the
    guest's randomness is seeded): two runs of one guest at once would find
    each other's files, so one guest's configurations run one after
    another and the test runs alone (RUN_SERIAL).  Returns the line's
    fields."""
    d = os.path.join(WORKDIR, os.path.basename(guest) + "." + cfg_name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    try:
        shutil.copy(guest, os.path.join(d, "guest"))
        stats = os.path.join(d, "stats.json")
        cmd = [fl, "run", *cfg_args, "--clean-env", "--max-insns", "50M",
               "--stats", stats, "--", "./guest"]
        subprocess.run(cmd, cwd=d, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env={"PATH": "/usr/bin:/bin"}, timeout=600)
        try:
            with open(stats) as f:
                s = json.load(f)
        except (OSError, ValueError):
            return None
        s.pop("config", None)
        s.pop("exit", None)
        flat = dict(flatten(s))
        canon = json.dumps(s, sort_keys=True, separators=(",", ":"))
        h = hashlib.sha256(canon.encode()).hexdigest()[:24]
        head = [str(flat.get(k, "-")) for k in HEADLINE]
        return [os.path.basename(guest), cfg_name, digest(guest), h, *head]
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("faultline")
    ap.add_argument("guest_dir")
    ap.add_argument("golden")
    ap.add_argument("--update", action="store_true")
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--only", default="", help="regex over 'guest config'")
    a = ap.parse_args()
    fl = os.path.abspath(a.faultline)
    # static guests only (glibc's and musl's): a dynamic one runs the
    # host's own libc, which is not ours to pin
    guests = sorted(os.path.join(a.guest_dir, g) for g in os.listdir(a.guest_dir)
                    if g.endswith((".gcc", ".musl"))
                    and g.rsplit(".", 1)[0] + ".gcc" not in HOST_DEPENDENT)
    per_guest = [[(g, n, args) for n, args in CONFIGS
                  if re.search(a.only, os.path.basename(g) + " " + n)] for g in guests]
    with cf.ThreadPoolExecutor(a.j) as ex:
        done = ex.map(lambda js: [(j, run_one(fl, *j)) for j in js], per_guest)
        rows = [r for rs in done for r in rs]
    header = ["guest", "config", "binary", "stats"] + HEADLINE
    if a.update:
        with open(a.golden, "w") as f:
            f.write("# tests/golden_stats.py --update: the stats hash of every guest in every\n"
                    "# configuration; regenerate only in a commit of its own (issue 22)\n")
            f.write("\t".join(header) + "\n")
            for (g, n, _), r in rows:
                if r is None:
                    sys.exit(f"golden_stats: {os.path.basename(g)} under {n} wrote no stats")
                f.write("\t".join(r) + "\n")
        print(f"golden_stats: wrote {len(rows)} lines to {a.golden}")
        return 0
    gold = {}
    with open(a.golden) as f:
        for line in f:
            if line.startswith("#") or line.startswith("guest\t"):
                continue
            r = line.rstrip("\n").split("\t")
            gold[(r[0], r[1])] = r
    bad = 0
    for (g, n, _), r in rows:
        key = (os.path.basename(g), n)
        want = gold.get(key)
        if want is None:
            print(f"FAIL: {key[0]} under {n}: no golden line (new guest? --update in a commit of its own)")
            bad += 1
        elif r is None:
            print(f"FAIL: {key[0]} under {n}: the run wrote no stats")
            bad += 1
        elif r[2] != want[2]:
            print(f"FAIL: {key[0]}: the guest binary is not the one the goldens were made from "
                  f"({r[2]} vs {want[2]}): a different toolchain or guest source; regenerate on purpose")
            bad += 1
        elif r[3] != want[3]:
            moved = [f"{h} {w} -> {x}" for h, w, x in zip(HEADLINE, want[4:], r[4:]) if w != x]
            print(f"FAIL: {key[0]} under {n}: stats differ from the golden"
                  f" ({'; '.join(moved) if moved else 'a counter other than the headline ones'})")
            bad += 1
    print(f"golden_stats: {len(rows) - bad} of {len(rows)} runs bit-identical to {a.golden}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
