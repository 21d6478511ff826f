#!/usr/bin/env python3
"""Checks Baton's touchpoint directly-follows graph against pm4py's discover_dfg.

Usage: python3 scripts/pm4py_check.py WORKSPACE REPORT_JSON [--by type|channel]

Reads WORKSPACE/events.csv (a clean workspace: every row valid), builds an event log with
case = lead_id, activity = type (or channel), timestamp = ts, ordered by (case, timestamp, activity)
so that same-timestamp events are tied the way Baton ties them (by name), and compares pm4py's
DFG, start and end activities with report.json -> journey.touchpoints. Prints the time pm4py took.
"""
import json
import sys
import time

import pandas as pd
import pm4py


def main():
    workspace, report_path = sys.argv[1], sys.argv[2]
    by = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--by" else "type"
    df = pd.read_csv(f"{workspace}/events.csv", dtype=str, keep_default_na=False)
    df["ts"] = pd.to_datetime(df["ts"], utc=True, format="ISO8601")
    df = df.sort_values(["lead_id", "ts", by], kind="mergesort")
    started = time.perf_counter()
    log = pm4py.format_dataframe(df, case_id="lead_id", activity_key=by, timestamp_key="ts")
    dfg, start, end = pm4py.discover_dfg(log)
    elapsed = time.perf_counter() - started
    report = json.load(open(report_path))["journey"]["touchpoints"]
    assert report["by"] == by, f"report was built by {report['by']}, not {by}"
    ours = {(t["from"], t["to"]): t["count"] for t in report["transitions"]}
    theirs = {k: int(v) for k, v in dfg.items()}
    problems = []
    if ours != theirs:
        for k in sorted(set(ours) | set(theirs)):
            if ours.get(k) != theirs.get(k):
                problems.append(f"transition {k}: baton {ours.get(k)} pm4py {theirs.get(k)}")
    for name, mine, other in [("start", report["start"], start), ("end", report["end"], end)]:
        if {k: int(v) for k, v in other.items()} != mine:
            problems.append(f"{name}: baton {mine} pm4py {dict(other)}")
    print(f"events: {len(df)}, cases: {df['lead_id'].nunique()}, transitions: {len(theirs)}")
    print(f"pm4py discover_dfg: {elapsed:.2f} s")
    if problems:
        print("MISMATCH:\n  " + "\n  ".join(problems[:20]))
        sys.exit(1)
    print("baton's DFG, start and end activities equal pm4py's")


if __name__ == "__main__":
    main()
