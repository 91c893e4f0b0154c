#!/usr/bin/env python3
"""Compares the relations PostGIS computed (bench/postgis-relate.sh) with those `sightmap
import` stored, report by report: country, province and in_sea must be equal; the distances
to the nearest land border and to the coast must agree within 0.5 % (relative; 1 m for points
within metres of a line); the nearest border's neighbour must be equal, or tied: PostGIS's
distance to sightmap's neighbour within the same tolerance of its nearest (a point whose
nearest border point is where two neighbours' borders meet is as near to both).

Usage: python3 bench/agree-relate.py WORK
Reads WORK/postgis-relate.csv (id,country,province,in_sea,border_distance_m,border_country,
coast_distance_m,"AM:metres AZ:metres ..."; empty = NULL), the sample postgis-relate.sh wrote,
and the same ids from the reports table of WORK/data/sightmap.db. Prints one JSON line; prints
the worst cases to stderr and exits 1 on any disagreement beyond tolerance, or if an id is
missing from sightmap's store.

A side with no answer (NULL: no country or province within 5 km, say at sea) is not dropped:
both sides must say NULL together, and how many did is reported.
"""

import argparse
import csv
import json
import sqlite3
import sys
import uuid

REL_TOLERANCE = 0.005  # 0.5 %
ABS_TOLERANCE_M = 1.0  # for distances of a few metres, where 0.5 % is below the outlines' precision


def postgis_rows(path):
    """{id: row} from postgis-relate.csv, with NULLs as None."""
    out = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            rid, country, province, in_sea, border_m, border_country, coast_m, by_neighbour = row
            out[rid] = {
                "country": country or None,
                "province": province or None,
                "in_sea": in_sea == "t",
                "border_distance_m": float(border_m) if border_m else None,
                "border_country": border_country or None,
                "coast_distance_m": float(coast_m) if coast_m else None,
                "by_neighbour": {k: float(v) for k, v in
                                 (kv.split(":") for kv in by_neighbour.split())},
            }
    return out


def sightmap_rows(db, ids):
    """{id: row} for the given ids from the store's reports table (read only)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    out = {}
    query = ("SELECT id, country, province, in_sea, border_distance_m, border_country, "
             "coast_distance_m FROM reports WHERE deleted_at IS NULL AND id = ?")
    for rid in ids:
        r = con.execute(query, (uuid.UUID(rid).bytes,)).fetchone()
        if r:
            out[rid] = {
                "country": r[1], "province": r[2], "in_sea": bool(r[3]),
                "border_distance_m": r[4], "border_country": r[5], "coast_distance_m": r[6],
            }
    con.close()
    return out


def rel_diff(a, b):
    """Relative difference of two distances (0 within ABS_TOLERANCE_M), None if one is NULL."""
    if a is None or b is None:
        return None
    if abs(a - b) <= ABS_TOLERANCE_M:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("work")
    args = parser.parse_args()
    postgis = postgis_rows(f"{args.work}/postgis-relate.csv")
    ids = sorted(postgis)
    sightmap = sightmap_rows(f"{args.work}/data/sightmap.db", ids)

    missing = [i for i in ids if i not in sightmap]
    mismatches = []  # (what, id, postgis, sightmap)
    nulls = {k: {"both": 0, "postgis_only": 0, "sightmap_only": 0}
             for k in ("country", "province", "border_distance_m", "coast_distance_m")}
    worst = {"border_distance_m": (0.0, None), "coast_distance_m": (0.0, None)}
    neighbour_ties = 0
    for rid in ids:
        p, s = postgis[rid], sightmap.get(rid)
        if s is None:
            continue
        for key in nulls:
            if p[key] is None and s[key] is None:
                nulls[key]["both"] += 1
            elif p[key] is None:
                nulls[key]["postgis_only"] += 1
            elif s[key] is None:
                nulls[key]["sightmap_only"] += 1
        for key in ("country", "province", "in_sea"):
            if p[key] != s[key]:
                mismatches.append((key, rid, p[key], s[key]))
        for key in ("border_distance_m", "coast_distance_m"):
            d = rel_diff(p[key], s[key])
            if d is None:
                if (p[key] is None) != (s[key] is None):
                    mismatches.append((key, rid, p[key], s[key]))
                continue
            if d > worst[key][0]:
                worst[key] = (d, rid)
            if d > REL_TOLERANCE:
                mismatches.append((key, rid, p[key], s[key]))
        if p["border_country"] != s["border_country"]:
            theirs = p["by_neighbour"].get(s["border_country"])
            if p["border_distance_m"] is not None and theirs is not None \
                    and rel_diff(theirs, p["border_distance_m"]) <= REL_TOLERANCE:
                neighbour_ties += 1
            else:
                mismatches.append(("border_country", rid, p["border_country"], s["border_country"]))

    compared = len(ids) - len(missing)
    print(json.dumps({
        "measure": "relate_agreement", "compared": compared,
        "missing": len(missing), "mismatches": len(mismatches), "neighbour_ties": neighbour_ties,
        "max_rel_border_diff": round(worst["border_distance_m"][0], 6),
        "max_rel_coast_diff": round(worst["coast_distance_m"][0], 6),
        "nulls": nulls, "tolerance": REL_TOLERANCE,
    }, separators=(",", ":")))
    for key, (d, rid) in worst.items():
        if rid:
            print(f"agree-relate: worst {key}: {d:.4%} at {rid}: PostGIS "
                  f"{postgis[rid][key]:.1f} m, sightmap {sightmap[rid][key]:.1f} m", file=sys.stderr)
    if missing or mismatches:
        for key, rid, a, b in mismatches[:20]:
            print(f"agree-relate: {key} differs at {rid}: PostGIS {a!r}, sightmap {b!r}", file=sys.stderr)
        if missing:
            print(f"agree-relate: {len(missing)} ids not in sightmap's store, e.g. {missing[0]}",
                  file=sys.stderr)
        print(f"agree-relate: {len(mismatches)} disagreements beyond tolerance over {compared} reports",
              file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
