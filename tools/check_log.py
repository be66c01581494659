#!/usr/bin/python3
"""check_log.py SCHEMA LOG... - validate outgate decision logs (JSON lines)
against tools/log-schema.json.  Prints "ok - LOG (N records)" or "not ok -
LOG" with the first problems as "#   line N: ..." and exits 1 if any log
fails.  Needs Debian's python3-jsonschema: run with /usr/bin/python3.
"""
import json
import sys

import jsonschema


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    bad = 0
    for path in sys.argv[2:]:
        problems, n = [], 0
        with open(path, encoding="utf-8") as f:
            for i, line in enumerate(f, 1):
                n += 1
                try:
                    rec = json.loads(line)
                except ValueError as e:
                    problems.append("line %d: not JSON: %s" % (i, e))
                    continue
                for err in v.iter_errors(rec):
                    problems.append("line %d: %s" % (i, err.message[:200]))
                    break
        if problems or n == 0:
            bad += 1
            print("not ok - %s (%d records)" % (path, n))
            for p in problems[:10] or ["no records at all"]:
                print("#   " + p)
        else:
            print("ok - %s (%d records)" % (path, n))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
