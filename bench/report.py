#!/usr/bin/env python3
"""Turns a bench/run.sh run (WORK/results.jsonl) into the report: the machine, versions, the
command, the targets table with ratios against each peer, every run's throughput and latency,
and an SVG plot of throughput against result size.

Usage: python3 bench/report.py WORK --n N --seconds S [--write]
Without --write, the report goes to WORK/report.md and WORK/throughput.svg; with it, into
BENCHMARKS.md (between the bench markers) and bench/throughput.svg.
"""

import argparse
import datetime
import html
import json
import math
import os
import platform
import re

BEGIN = "<!-- bench/run.sh: begin -->"
END = "<!-- bench/run.sh: end -->"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The plot's series: (label, system, variant, colour).
SERIES = [
    ("sightmap in process, 1 thread", "sightmap", "in-process", "#1b7837"),
    ("sightmap HTTP GeoJSON, 1 connection", "sightmap", "http-geojson", "#5aae61"),
    ("PostGIS ids, 1 client", "postgis", "ids", "#2166ac"),
    ("PostGIS FeatureCollection, 1 client", "postgis", "geojson", "#67a9cf"),
    ("Redis GEOSEARCH ids", "redis", "ids", "#b2182b"),
    ("Redis GEOSEARCH WITHCOORD", "redis", "withcoord", "#ef8a62"),
]


def load(work):
    with open(os.path.join(work, "results.jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def runs(results, system, variant, radius=None, clients=None):
    return [r for r in results if r.get("system") == system and r.get("variant") == variant
            and (radius is None or r["radius_km"] == radius)
            and (clients is None or r["clients"] == clients)]


def best(results, system, variant, radius=10):
    found = runs(results, system, variant, radius)
    return max(found, key=lambda r: r["qps"]) if found else None


def measure(results, system, name):
    return next((r for r in results if r.get("system") == system and r.get("measure") == name), None)


def mean_results(results, run):
    """A run's mean result count; HTTP runs count none, so the in-process run's at its radius."""
    if run.get("mean_results") is not None:
        return run["mean_results"]
    return next((x.get("mean_results") for x in results if x.get("variant") == "in-process"
                 and x.get("radius_km") == run["radius_km"]), None)


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {memory_gib:.0f} GiB, Linux {platform.release()}"


def fmt(x, digits=0):
    return f"{x:,.{digits}f}"


def targets_table(results):
    rows = []

    def ratio_row(what, ours, theirs, target, ours_text, theirs_text):
        if not ours or not theirs:
            rows.append(f"| {what} | {ours_text} | {theirs_text} | n/a | {target} | not measured |")
            return
        ratio = ours / theirs
        met = "met" if ratio >= float(target.split("×")[0].lstrip("≥ ")) else "missed"
        rows.append(f"| {what} | {ours_text} | {theirs_text} | {ratio:.1f}× | {target} | {met} |")

    ours_1 = next(iter(runs(results, "sightmap", "in-process", 10, 1)), None)
    pg_ids = next(iter(runs(results, "postgis", "ids", 10, 1)), None)
    ratio_row("in process (1 thread) vs PostGIS ids (1 client), 10 km",
              ours_1 and ours_1["qps"], pg_ids and pg_ids["qps"], "≥ 40×",
              ours_1 and f"{fmt(ours_1['qps'])} q/s", pg_ids and f"{fmt(pg_ids['qps'])} q/s")
    http = best(results, "sightmap", "http-geojson", 10)
    pg_fc = best(results, "postgis", "geojson", 10)
    ratio_row("HTTP GeoJSON vs PostGIS FeatureCollection in SQL, best of each, 10 km",
              http and http["qps"], pg_fc and pg_fc["qps"], "≥ 3×",
              http and f"{fmt(http['qps'])} q/s ({http['clients']} conn.)",
              pg_fc and f"{fmt(pg_fc['qps'])} q/s ({pg_fc['clients']} clients)")
    http_1 = next(iter(runs(results, "sightmap", "http-geojson", 10, 1)), None)
    redis_wc = next(iter(runs(results, "redis", "withcoord", 10, 1)), None)
    ratio_row("HTTP GeoJSON (1 connection) vs Redis GEOSEARCH WITHCOORD (1 client), 10 km",
              http_1 and http_1["qps"], redis_wc and redis_wc["qps"], "≥ 2×",
              http_1 and f"{fmt(http_1['qps'])} q/s", redis_wc and f"{fmt(redis_wc['qps'])} q/s")
    export = measure(results, "sightmap", "export")
    if export:
        rate = export["bytes"] / 1e6 / export["seconds"]
        rows.append(f"| GeoJSON export over HTTP, {fmt(export['bytes'] / 1e6)} MB | "
                    f"{rate:,.0f} MB/s, memory +{export['rss_growth_kb'] / 1024:.0f} MB | "
                    f"PostgreSQL `\\copy` 214 MB/s, ogr2ogr 49 MB/s (field notes) | "
                    f"{rate / 214:.1f}× `\\copy` | ≥ 300 MB/s | {'met' if rate >= 300 else 'missed'} |")
    cold = measure(results, "sightmap", "cold_start")
    if cold:
        rows.append(f"| cold start with {fmt(cold['n'])} reports (restart, launch to /health) | "
                    f"{cold['seconds']:.2f} s | | | < 2 s | {'met' if cold['seconds'] < 2 else 'missed'} |")
    first = measure(results, "sightmap", "first_start")
    if first:
        rows.append(f"| first start after the import (from the snapshot the import wrote) | "
                    f"{first['seconds']:.2f} s | | | < 1 s | {'met' if first['seconds'] < 1 else 'missed'} |")
    imported = measure(results, "sightmap", "load")
    copied = measure(results, "postgis", "load_copy")
    if imported:
        rate = imported["n"] / imported["seconds"]
        peer = copied and copied["n"] / copied["seconds"]
        rows.append(f"| `sightmap import` of {fmt(imported['n'])} reports, GeoJSON Lines, end to end "
                    f"(validated, related to borders and coast, indexed, snapshot written) | "
                    f"{fmt(rate)} a second | "
                    f"{'' if not peer else fmt(peer) + ' a second (PostGIS COPY into a generated geography column + GiST)'} | "
                    f"{'' if not peer else f'{rate / peer:.2f}×'} | ≥ 150,000 a second | "
                    f"{'met' if rate >= 150_000 else 'missed'} |")
    pipeline = measure(results, "postgis", "pipeline")
    if imported and pipeline:
        rate = imported["n"] / imported["seconds"]
        peer = pipeline["n"] / pipeline["seconds"]
        scaled = "" if pipeline.get("relate_n", pipeline["n"]) == pipeline["n"] else \
            f", relations timed on {fmt(pipeline['relate_n'])} and scaled"
        rows.append(f"| `sightmap import` vs what a PostGIS user runs for the same columns "
                    f"(`bench/postgis-relate.sh`: COPY + GiST, the region's outlines, one "
                    f"CREATE TABLE AS relating every point) | {fmt(rate)} a second | "
                    f"{fmt(peer)} a second{scaled} | {rate / peer:.1f}× | | |")
    head = ("| what | sightmap | peer | ratio | target | |\n"
            "| --- | --- | --- | --- | --- | --- |\n")
    return head + "\n".join(rows)


def runs_table(results):
    lines = ["| system | what | clients | radius km | mean results | q/s | p50 ms | p99 ms |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    order = {"sightmap": 0, "postgis": 1, "redis": 2}
    query_runs = [r for r in results if "qps" in r]
    query_runs.sort(key=lambda r: (order.get(r["system"], 9), r["variant"], r["radius_km"], r["clients"]))
    for r in query_runs:
        mean = mean_results(results, r)
        lines.append(f"| {r['system']} | {r['variant']} | {r['clients']} | {r['radius_km']:g} | "
                     f"{'' if mean is None else fmt(mean, 1)} | {fmt(r['qps'])} | "
                     f"{r['p50_ms']:.3f} | {r['p99_ms']:.3f} |")
    return "\n".join(lines)


def other_measures(results):
    out = []
    for system in ("sightmap", "postgis", "redis"):
        m = measure(results, system, "load")
        if m:
            out.append(f"- load {fmt(m['n'])} points into {system}: {m['seconds']:.1f} s "
                       f"({fmt(m['n'] / m['seconds'])} a second)")
    stages = [measure(results, "postgis", m) for m in
              ("pipeline_copy", "pipeline_outlines", "pipeline_relate", "pipeline")]
    if all(stages):
        copy, outlines, relate, whole = stages
        out.append(f"- PostGIS computing the import's relations (`bench/postgis-relate.sh`): "
                   f"COPY + GiST {copy['seconds']:.1f} s ({fmt(copy['n'] / copy['seconds'])} a "
                   f"second); the region's outlines {outlines['seconds']:.1f} s "
                   f"({fmt(outlines['pieces'])} pieces); relating {fmt(relate['n'])} points "
                   f"{relate['seconds']:.1f} s ({fmt(relate['n'] / relate['seconds'])} a second); "
                   f"the whole {whole['seconds']:.1f} s ({fmt(whole['n'] / whole['seconds'])} a second)")
    agree_rel = next((r for r in results if r.get("measure") == "relate_agreement"), None)
    if agree_rel:
        nulls = agree_rel["nulls"]
        out.append(f"- relations of {fmt(agree_rel['compared'])} points, PostGIS against sightmap's "
                   f"store: {agree_rel['mismatches']} disagree beyond tolerance; border distances "
                   f"within {agree_rel['max_rel_border_diff']:.3%}, coast within "
                   f"{agree_rel['max_rel_coast_diff']:.3%} (tolerance {agree_rel['tolerance']:.1%}); "
                   f"{agree_rel['neighbour_ties']} neighbours differ where two borders are equally "
                   f"near; no country on both sides for {nulls['country']['both']}, no province "
                   f"for {nulls['province']['both']}")
    rss = measure(results, "sightmap", "rss")
    if rss:
        mapped = (f"; the whole resident set, with the store's memory-mapped pages, "
                  f"{rss['vmrss_kb'] / 1024:.0f} MB") if "vmrss_kb" in rss else ""
        out.append(f"- sightmap's anonymous memory after start with {fmt(rss['n'])} reports: "
                   f"{rss['loaded_kb'] / 1024:.0f} MB ({rss['empty_kb'] / 1024:.0f} MB empty): "
                   f"{rss['bytes_per_report']} bytes a report{mapped}")
    after = measure(results, "sightmap", "rss_after_queries")
    if after:
        out.append(f"- after the HTTP runs, with the feature cache ({after['feature_cache_mb']} MiB budget) "
                   f"filled: {after['kb'] / 1024:.0f} MB")
    agree = next((r for r in results if r.get("measure") == "agreement"), None)
    if agree:
        out.append(f"- answers at 10 km over {fmt(agree['centres'])} centres ({fmt(agree['results'])} "
                   f"results in all): sightmap and PostGIS differ at {agree['sightmap_centres_differing']} "
                   f"centres; Redis (a sphere) differs at {agree['redis_centres_differing']} centres, "
                   f"by {agree['redis_ids_differing']} ids")
    return "\n".join(out)


def versions(results):
    parts = []
    for system in ("sightmap", "postgis", "redis"):
        v = measure(results, system, "version")
        if v:
            parts.extend(f"{k} {v[k]}" for k in v if k not in ("system", "measure"))
    return ", ".join(parts)


def svg_plot(results):
    """Throughput against mean result size, log-log, one line per series."""
    width, height, left, right, top, bottom = 800, 440, 70, 290, 30, 50
    points = []
    for label, system, variant, colour in SERIES:
        series = sorted(runs(results, system, variant, clients=1), key=lambda r: r["radius_km"])
        xy = []
        for r in series:
            mean = mean_results(results, r)
            if mean and r["qps"] > 0:
                xy.append((max(mean, 0.1), r["qps"], r["radius_km"]))
        points.append((label, colour, xy))
    xs = [p[0] for _, _, xy in points for p in xy] or [1, 10]
    ys = [p[1] for _, _, xy in points for p in xy] or [1, 10]
    x0, x1 = math.floor(math.log10(min(xs))), math.ceil(math.log10(max(xs)))
    y0, y1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
    pw, ph = width - left - right, height - top - bottom

    def px(x):
        return left + (math.log10(x) - x0) / (x1 - x0) * pw

    def py(y):
        return top + ph - (math.log10(y) - y0) / (y1 - y0) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="18" font-size="14">Radius queries: throughput against result size '
           f'(radius 1, 5, 10, 25, 50 km)</text>']
    for e in range(x0, x1 + 1):
        x = px(10 ** e)
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + ph}" stroke="#ddd"/>')
        out.append(f'<text x="{x:.1f}" y="{top + ph + 16}" text-anchor="middle">{10 ** e:g}</text>')
    for e in range(y0, y1 + 1):
        y = py(10 ** e)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{10 ** e:,.0f}</text>')
    out.append(f'<text x="{left + pw / 2}" y="{height - 12}" text-anchor="middle">'
               f'results per query (mean)</text>')
    out.append(f'<text x="16" y="{top + ph / 2}" text-anchor="middle" '
               f'transform="rotate(-90 16 {top + ph / 2})">queries per second, 1 client</text>')
    for i, (label, colour, xy) in enumerate(points):
        if xy:
            path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y, _ in xy)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
            for x, y, r in xy:
                out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3.5" fill="{colour}">'
                           f'<title>{html.escape(label)}: {r:g} km, {y:,.0f} q/s</title></circle>')
        ly = top + 10 + i * 20
        out.append(f'<line x1="{left + pw + 15}" y1="{ly}" x2="{left + pw + 35}" y2="{ly}" '
                   f'stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{left + pw + 40}" y="{ly + 4}">{html.escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def report(results, n, seconds, quick_command, plot_path):
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"""{BEGIN}
## Side by side: sightmap, PostGIS and Redis (`bench/run.sh`)

Written by `{quick_command}` on {date}. Machine: {machine()}. Versions: {versions(results)}.
Data: {fmt(n)} synthetic reports from `bench/gen.py` (seed 20240601, uniform over lon 44–55 and
lat 35–42, tagged `synthetic`), the same points in all three, and the same 10,000 query centres
(seed 20240602). Each run lasts {seconds} s. sightmap in process: `bench/driver.rs` on the
index, exact geodesic results with ids and distances, nearest first. HTTP: `wrk` with
`bench/radius.lua`, `GET /api/reports?lon&lat&radius_km&limit=10000`, whole GeoJSON features,
with `--feature-cache-mb` sized to hold every report and one unrecorded 10 km run first to fill it.
PostGIS: `pgbench -M prepared` on `geography(Point,4326)` with a GiST index, `ST_DWithin(…, true)`
(the spheroid). Redis: `GEOSEARCH … BYRADIUS` from one client (`bench/driver.rs`). The load
generators run on the same two cores as the servers.

### Targets

{targets_table(results)}

### Every run

{runs_table(results)}

At 50 km a response holds at most 10,000 features (the API's page limit), a little below the
mean match count.

### Loads, memory and agreement

{other_measures(results)}

![throughput against result size]({plot_path})
{END}
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("work")
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--seconds", required=True)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    results = load(args.work)
    quick = args.n <= 100_000 and str(args.seconds) == "2"
    command = "bench/run.sh --quick" if quick else "bench/run.sh" + (
        "" if args.n == 1_000_000 else f" --n {args.n}")
    if args.write:
        md_path = os.path.join(ROOT, "BENCHMARKS.md")
        svg_path = os.path.join(ROOT, "bench", "throughput.svg")
        text = report(results, args.n, args.seconds, command, "bench/throughput.svg")
        with open(md_path, encoding="utf-8") as f:
            current = f.read()
        pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END) + "\n?", re.S)
        if pattern.search(current):
            current = pattern.sub(lambda _: text, current)
        else:
            head, _, rest = current.partition("\n## ")
            current = head.rstrip("\n") + "\n\n" + text + "\n## " + rest
        with open(md_path, "w", encoding="utf-8") as f:
            f.write(current)
    else:
        md_path = os.path.join(args.work, "report.md")
        svg_path = os.path.join(args.work, "throughput.svg")
        with open(md_path, "w", encoding="utf-8") as f:
            f.write(report(results, args.n, args.seconds, command, "throughput.svg"))
    with open(svg_path, "w", encoding="utf-8") as f:
        f.write(svg_plot(results))
    print(targets_table(results))
    print(f"report: {md_path}; plot: {svg_path}")


if __name__ == "__main__":
    main()
