"""Pass/fail bookkeeping shared by the Python test scripts: check() records
a failed condition (and prints it) instead of stopping at the first one, so a
run reports every broken expectation; summary() prints the counts and gives
the exit status."""

_passed = 0
_failed = []


def check(cond, msg):
    global _passed
    if cond:
        _passed += 1
    else:
        _failed.append(msg)
        print("FAIL: " + msg, flush=True)
    return cond


def summary():
    print("%d passed, %d failed" % (_passed, len(_failed)), flush=True)
    return 1 if _failed else 0
