#!/usr/bin/env python3
"""Compares the answers at 10 km: sightmap's against PostGIS's must be identical (both decide on
the WGS84 spheroid with GeographicLib); Redis's may differ near the circle's edge (it measures on
a sphere), so its differences are counted.

Usage: python3 bench/agree.py WORK   (reads WORK/{sightmap,postgis,redis}-10km.txt)
Prints one JSON line; exits 1 if sightmap and PostGIS disagree anywhere.
"""

import json
import sys


def answers(path):
    """{centre: set of ids} from 'i<TAB>id,id,...' lines."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            centre, _, ids = line.rstrip("\n").partition("\t")
            out[int(centre)] = set(filter(None, ids.split(",")))
    return out


def compare(reference, other):
    """Centres whose answers differ, and the ids in one answer but not the other."""
    centres = ids = 0
    for centre in reference.keys() | other.keys():
        a, b = reference.get(centre, set()), other.get(centre, set())
        if a != b:
            centres += 1
            ids += len(a ^ b)
    return centres, ids


def main():
    work = sys.argv[1]
    postgis = answers(f"{work}/postgis-10km.txt")
    sightmap = answers(f"{work}/sightmap-10km.txt")
    redis = answers(f"{work}/redis-10km.txt")
    s_centres, s_ids = compare(postgis, sightmap)
    r_centres, r_ids = compare(postgis, redis)
    print(json.dumps({
        "measure": "agreement", "radius_km": 10, "centres": len(postgis),
        "results": sum(len(v) for v in postgis.values()),
        "sightmap_centres_differing": s_centres, "sightmap_ids_differing": s_ids,
        "redis_centres_differing": r_centres, "redis_ids_differing": r_ids,
    }))
    if s_centres:
        print(f"sightmap and PostGIS disagree at {s_centres} centres ({s_ids} ids)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
