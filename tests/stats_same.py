#!/usr/bin/env python3
"""stats_same.py A B: the two stats JSON files hold the same counts.

Every "the stats are identical" promise (determinism, replay, speed work)
compares everything but the run's own `config` (its command line, version,
settings) and `exit` (how it ended) blocks: docs/stats.md.  Exit 0 when
they agree; else each differing key path on stdout and exit 1."""
import json
import sys


def core(path):
    with open(path) as f:
        d = json.load(f)
    d.pop("config", None)
    d.pop("exit", None)
    return d


def diff(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                yield f"{path}.{k}: only in {'B' if k not in a else 'A'}"
            else:
                yield from diff(a[k], b[k], f"{path}.{k}")
    elif a != b:
        yield f"{path}: {a!r} vs {b!r}"


if len(sys.argv) != 3:
    sys.exit("usage: stats_same.py A B")
out = list(diff(core(sys.argv[1]), core(sys.argv[2])))
for line in out[:12]:
    print(line)
sys.exit(1 if out else 0)
