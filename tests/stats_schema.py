#!/usr/bin/python3
"""stats_schema.py SCHEMA FILE...: each stats JSON file is valid under
docs/stats.schema.json (Debian's python3-jsonschema)."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
bad = 0
for path in sys.argv[2:]:
    errs = sorted(v.iter_errors(json.load(open(path))), key=lambda e: list(e.path))
    for e in errs[:5]:
        print(f"FAIL: {path}: {'/'.join(map(str, e.path)) or '(top)'}: {e.message[:200]}")
    bad += bool(errs)
    if not errs:
        print(f"ok: {path} is valid")
sys.exit(1 if bad else 0)
