#!/usr/bin/env python3
"""Deterministic synthetic data for the sightmap / PostGIS / Redis benchmarks.

Usage: python3 bench/gen.py N OUTDIR

Writes, with the standard library only:
  OUTDIR/reports.geojsonl  N GeoJSON Features, one a line (sightmap's import format)
  OUTDIR/points.csv        id,lon,lat (no header), same ids and the same text of the numbers
  OUTDIR/centres.csv       10,000 lines lon,lat (no header), query centres

Reports use random.Random(20240601), centres random.Random(20240602); both are uniform over
lon [44, 55], lat [35, 42], rounded to 5 decimals. Ids are version-7 UUIDs whose 48-bit
millisecond timestamp is BASE_MS + i (so unique and increasing with i) and whose other 74 bits
come from the report generator.
"""

import os
import random
import sys

REPORT_SEED = 20240601
CENTRE_SEED = 20240602
N_CENTRES = 10_000
LON_MIN, LON_MAX = 44.0, 55.0
LAT_MIN, LAT_MAX = 35.0, 42.0

KINDS = ["drone", "aircraft", "missile", "strike", "explosion", "sound", "light", "other"]
STATUSES = ["unverified", "corroborated", "confirmed", "disputed", "retracted"]

# 2025-06-13T00:00:00Z; observed_from is a random second in [0, 30 days) after it.
BASE_DAY = (2025, 6, 13)
SPAN_DAYS = 30
SPAN_SECONDS = SPAN_DAYS * 86400
# UUIDv7 timestamps start at the same instant (milliseconds since the Unix epoch).
BASE_MS = 1749772800 * 1000

BUF = 1 << 20


def day_strings():
    """'2025-06-13T' ... for the 30 days of the span (no datetime per line)."""
    import datetime

    d0 = datetime.date(*BASE_DAY)
    return [(d0 + datetime.timedelta(days=k)).isoformat() + "T" for k in range(SPAN_DAYS)]


def uuid7(ms, bits74):
    """Lowercase hyphenated UUID: 48-bit ms, version 7, 12 random bits, variant 10, 62 random."""
    rand_a = bits74 >> 62  # 12 bits
    rand_b = bits74 & ((1 << 62) - 1)  # 62 bits
    v = (ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    h = f"{v:032x}"
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def write_reports(n, outdir):
    rng = random.Random(REPORT_SEED)
    rand = rng.random
    getbits = rng.getrandbits
    randrange = rng.randrange
    days = day_strings()
    lon_w = LON_MAX - LON_MIN
    lat_w = LAT_MAX - LAT_MIN
    nk = len(KINDS)
    ns = len(STATUSES)
    tail = (
        ',"tags":["synthetic"],"sources":[{"name":"a resident","type":"civilian",'
        '"stance":"asserts"}]}}\n'
    )
    rpath = os.path.join(outdir, "reports.geojsonl")
    ppath = os.path.join(outdir, "points.csv")
    with open(rpath, "w", buffering=BUF, newline="\n") as rf, open(
        ppath, "w", buffering=BUF, newline="\n"
    ) as pf:
        rw = rf.write
        pw = pf.write
        for i in range(n):
            uid = uuid7(BASE_MS + i, getbits(74))
            lon = round(LON_MIN + lon_w * rand(), 5)
            lat = round(LAT_MIN + lat_w * rand(), 5)
            kind = KINDS[randrange(nk)]
            status = STATUSES[randrange(ns)]
            s = randrange(SPAN_SECONDS)
            d, r = divmod(s, 86400)
            hh, r = divmod(r, 3600)
            mm, ss = divmod(r, 60)
            # repr of a float is the same text in both files.
            lon_s = repr(lon)
            lat_s = repr(lat)
            rw(
                f'{{"type":"Feature","id":"{uid}","geometry":{{"type":"Point",'
                f'"coordinates":[{lon_s},{lat_s}]}},"properties":{{"kind":"{kind}",'
                f'"status":"{status}","precision":"place",'
                f'"description":"synthetic report {i}",'
                f'"observed_from":"{days[d]}{hh:02d}:{mm:02d}:{ss:02d}Z"{tail}'
            )
            pw(f"{uid},{lon_s},{lat_s}\n")


def write_centres(outdir):
    rng = random.Random(CENTRE_SEED)
    rand = rng.random
    lon_w = LON_MAX - LON_MIN
    lat_w = LAT_MAX - LAT_MIN
    lines = []
    for _ in range(N_CENTRES):
        lon = round(LON_MIN + lon_w * rand(), 5)
        lat = round(LAT_MIN + lat_w * rand(), 5)
        lines.append(f"{lon!r},{lat!r}\n")
    with open(os.path.join(outdir, "centres.csv"), "w", newline="\n") as f:
        f.write("".join(lines))


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: gen.py N OUTDIR\n")
        return 2
    try:
        n = int(argv[1].replace("_", ""))
    except ValueError:
        sys.stderr.write(f"gen.py: N must be an integer, got {argv[1]!r}\n")
        return 2
    if n < 0:
        sys.stderr.write("gen.py: N must be >= 0\n")
        return 2
    outdir = argv[2]
    os.makedirs(outdir, exist_ok=True)
    write_reports(n, outdir)
    write_centres(outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
