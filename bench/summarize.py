#!/usr/bin/env python3
"""Summarise bench/run.sh's raw TSV: median, min-max, peak RSS and ratios per test and runtime.

summarize.py RAW.tsv SUMMARY.tsv CHART.dat
Only successful samples (status 0) are timed; failures are counted in "failed".
Ratios are of medians (x_* of wall time, cpu_x_* of user+system CPU time).  The floor only does a plain run, so (b) is compared with the
floor's (a) median: that is the kernel work the whole create/start/delete sequence must do.
"""
import csv
import statistics
import sys

RUNTIMES = ["estiba", "estiba-host", "crun", "runc", "floor"]
CHART_TESTS = [("a_run", "(a) run"), ("b_lifecycle", "(b) create+start+delete"),
               ("c_concurrent8", "(c) 8 concurrent"), ("d_exec", "(d) exec")]


def main(raw, summary, chart):
    samples = {}
    with open(raw) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            samples.setdefault((row["test"], row["runtime"]), []).append(row)
    med = {}
    medcpu = {}
    lines = []
    for (test, rt), rows in samples.items():
        ok = [r for r in rows if r["status"] == "0"]
        walls = [int(r["wall_us"]) / 1000 for r in ok]
        rss = [int(r["maxrss_kb"]) for r in ok]
        cpu = [int(r["cpu_us"]) / 1000 for r in ok]
        if walls:
            med[(test, rt)] = statistics.median(walls)
            medcpu[(test, rt)] = statistics.median(cpu)
        lines.append((test, rt, len(rows), len(rows) - len(ok), walls, rss, cpu))
    order = {rt: i for i, rt in enumerate(RUNTIMES)}
    lines.sort(key=lambda l: (l[0], order.get(l[1], 99)))

    def ratio(test, rt, other, other_test=None, table=med):
        a = table.get((test, rt))
        b = table.get((other_test or test, other))
        return "%.2f" % (a / b) if a and b else "-"

    with open(summary, "w") as out:
        out.write("test\truntime\tn\tfailed\tmedian_ms\tmin_ms\tmax_ms\tmedian_maxrss_kb"
                  "\tmedian_cpu_ms\tx_crun\tx_runc\tx_floor\tcpu_x_crun\tcpu_x_floor\n")
        for test, rt, n, failed, walls, rss, cpu in lines:
            if walls:
                stats = "%.1f\t%.1f\t%.1f\t%d\t%.1f" % (
                    statistics.median(walls), min(walls), max(walls), statistics.median(rss),
                    statistics.median(cpu))
            else:
                stats = "-\t-\t-\t-\t-"
            floor_test = "a_run" if test == "b_lifecycle" else test
            out.write("%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n" % (
                test, rt, n, failed, stats, ratio(test, rt, "crun"), ratio(test, rt, "runc"),
                ratio(test, rt, "floor", floor_test), ratio(test, rt, "crun", table=medcpu),
                ratio(test, rt, "floor", floor_test, table=medcpu)))
    with open(chart, "w") as out:
        out.write("test\t" + "\t".join(RUNTIMES) + "\n")
        for test, label in CHART_TESTS:
            vals = ["%.1f" % med[(test, rt)] if (test, rt) in med else "NaN" for rt in RUNTIMES]
            out.write('"%s"\t%s\n' % (label, "\t".join(vals)))


if __name__ == "__main__":
    main(*sys.argv[1:4])
