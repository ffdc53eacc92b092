"""Split a jsonl event log into its top-level trees (lines close children
first, so a tree ends at its depth-0 line); used by logfilter.sh."""
import json


def trees(path):
    out, cur = [], []
    for i, line in enumerate(open(path)):
        if i == 0:          # the header
            continue
        e = json.loads(line)
        cur.append(e)
        if e["depth"] == 0:
            out.append(cur)
            cur = []
    return out
