"""Shared helpers of the geocoder evaluation generators (make_geocode_eval.py and
gen_geocode_eval.py): the region data pack as a gazetteer, the name folding and
transliteration key, edit distances and the geodesic helpers (offsets, means, parts of areas).

Everything is read from data/region/ at import time; nothing is fetched.
"""
import csv
import json
import math
import os
import re
import unicodedata
from collections import defaultdict

from geographiclib.geodesic import Geodesic

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "data", "region")
GEOD = Geodesic.WGS84

# ---------------------------------------------------------------- gazetteer

PLACES = {}
with open(os.path.join(DATA, "places.tsv"), encoding="utf-8", newline="") as f:
    reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader)
    for r in reader:
        p = dict(zip(header, r))
        p["lat"], p["lon"], p["population"] = float(p["lat"]), float(p["lon"]), int(p["population"])
        p["names"] = [p["name"]] + [a for a in p["alternatenames"].split(",") if a]
        PLACES[p["geonameid"]] = p


def load_features(fname):
    with open(os.path.join(DATA, fname), encoding="utf-8") as f:
        return {ft["properties"]["id"]: ft for ft in json.load(f)["features"]}


PROVINCES = load_features("provinces.geojson")
COUNTRIES = load_features("countries.geojson")


def area_names(ft):
    p = ft["properties"]
    return [p["name"]] + list(p.get("names") or [])


# ---------------------------------------------------------------- folding

APOS = "'’‘`ʻʼ′´"
FOLD_MAP = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "ۀ": "ه", "\u200c": " ",
                          "ـ": None, "ı": "i", "ə": "e", "ǝ": "e",
                          **{c: None for c in APOS},
                          **{d: str(i) for i, d in enumerate("۰۱۲۳۴۵۶۷۸۹")},
                          **{d: str(i) for i, d in enumerate("٠١٢٣٤٥٦٧٨٩")}})


def fold(s):
    """Case, diacritics, harakat, apostrophes, hyphens, Arabic yeh/kaf, ZWNJ."""
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.lower().translate(FOLD_MAP)
    s = re.sub(r"[-‐‑–—_.,،;:()/]", " ", s)
    return " ".join(s.split())


def translit_key(s):
    """fold() plus the promised transliteration rules (ou/u, gh/q, ee/i, e/a, w/v/ow)."""
    s = fold(s)
    for a, b in (("ou", "u"), ("ow", "o"), ("w", "v"), ("gh", "q"), ("ee", "i"), ("e", "a")):
        s = s.replace(a, b)
    return s


def letters(s):
    return sum(1 for c in fold(s) if c.isalpha())


def allowed_edits(name):
    n = letters(name)
    return 2 if n >= 9 else 1 if n >= 5 else 0


def lev(a, b, cap=3):
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        if min(cur) > cap:
            return cap + 1
        prev = cur
    return prev[-1]


# every (folded name, kind, id) in the gazetteer
ALL_NAMES = []
for gid, p in PLACES.items():
    for n in set(p["names"]):
        ALL_NAMES.append((n, "place", gid))
for pid, ft in PROVINCES.items():
    for n in area_names(ft):
        ALL_NAMES.append((n, "province", pid))
for cid, ft in COUNTRIES.items():
    for n in area_names(ft):
        ALL_NAMES.append((n, "country", cid))
BY_FOLD = defaultdict(set)
BY_KEY = defaultdict(set)
for n, kind, i in ALL_NAMES:
    BY_FOLD[fold(n)].add((kind, i))
    BY_KEY[translit_key(n)].add((kind, i))
FOLDED = sorted({(fold(n), kind, i) for n, kind, i in ALL_NAMES})


def pop(kind_id):
    kind, i = kind_id
    return PLACES[i]["population"] if kind == "place" else -1


def describe(kind_id):
    kind, i = kind_id
    if kind == "place":
        p = PLACES[i]
        return f"{p['name']} ({i}, {p['province']}, pop {p['population']})"
    return f"{kind} {i}"


# ---------------------------------------------------------------- geometry

def place_pt(gid):
    return PLACES[gid]["lat"], PLACES[gid]["lon"]


def dist_km(a, b):
    return GEOD.Inverse(a[0], a[1], b[0], b[1])["s12"] / 1000


def offset(pt, azimuth, km):
    g = GEOD.Direct(pt[0], pt[1], azimuth, km * 1000)
    return g["lat2"], g["lon2"]


def midpoint(a, b):
    inv = GEOD.Inverse(a[0], a[1], b[0], b[1])
    g = GEOD.Direct(a[0], a[1], inv["azi1"], inv["s12"] / 2)
    return (g["lat2"], g["lon2"]), inv["s12"] / 1000


def bbox(ft):
    xs, ys = [], []

    def walk(c):
        if isinstance(c[0], (int, float)):
            xs.append(c[0])
            ys.append(c[1])
        else:
            for k in c:
                walk(k)

    walk(ft["geometry"]["coordinates"])
    return min(xs), min(ys), max(xs), max(ys)


def mean_pt(places):
    return (sum(p["lat"] for p in places) / len(places), sum(p["lon"] for p in places) / len(places))


def province_mean(pid):
    ps = [p for p in PLACES.values() if p["province"] == pid]
    return mean_pt(ps), len(ps)


def part_of(area, part):
    """Centroid of the GeoNames places (pop >= 500) of a province (HASC id) or country (ISO2)
    lying in one third of the area's polygon bbox; tolerance 60 % of the half-extent, 50-70 km."""
    ft = PROVINCES.get(area) or COUNTRIES[area]
    x0, y0, x1, y1 = bbox(ft)
    dx, dy = (x1 - x0) / 3, (y1 - y0) / 3
    member = (lambda p: p["province"] == area) if area in PROVINCES else (lambda p: p["country"] == area)
    tests = {
        "east": lambda p: p["lon"] >= x1 - dx, "west": lambda p: p["lon"] <= x0 + dx,
        "north": lambda p: p["lat"] >= y1 - dy, "south": lambda p: p["lat"] <= y0 + dy,
        "central": lambda p: x0 + dx < p["lon"] < x1 - dx and y0 + dy < p["lat"] < y1 - dy,
    }
    ps = [p for p in PLACES.values() if member(p) and p["population"] >= 500 and tests[part](p)]
    assert len(ps) >= 3, (area, part, len(ps))
    midlat, midlon = (y0 + y1) / 2, (x0 + x1) / 2
    half_we = dist_km((midlat, x0), (midlat, x1)) / 2
    half_ns = dist_km((y0, midlon), (y1, midlon)) / 2
    half = {"east": half_we, "west": half_we, "north": half_ns, "south": half_ns,
            "central": min(half_we, half_ns)}[part]
    tol = max(50, min(70, round(0.6 * half)))
    if part in ("east", "west"):
        rng = f"lon {x0:.2f}-{x1:.2f}"
    elif part in ("north", "south"):
        rng = f"lat {y0:.2f}-{y1:.2f}"
    else:
        rng = f"lon {x0:.2f}-{x1:.2f} and lat {y0:.2f}-{y1:.2f}"
    note = (f"centroid of the {len(ps)} GeoNames places (pop>=500) of {area} in the {part} third "
            f"of its polygon's {rng}; tol 60% of half-extent {half:.0f} km")
    return mean_pt(ps), tol, note


# ---------------------------------------------------------------- scripts, loose form, edit distance

def is_arabic_char(c):
    o = ord(c)
    return 0x600 <= o <= 0x6FF or 0x750 <= o <= 0x77F or 0xFB50 <= o <= 0xFDFF or 0xFE70 <= o <= 0xFEFF


def is_latin_char(c):
    o = ord(c)
    return c.isascii() or 0xC0 <= o <= 0x24F or 0x1E00 <= o <= 0x1EFF or c in "əƏ"


def only(s, pred):
    alpha = [c for c in s if c.isalpha()]
    return bool(alpha) and all(map(pred, alpha))


def is_persian(s):
    return only(s, is_arabic_char)


def is_latin(s):
    return only(s, is_latin_char)


def readable(s):
    """A name the geocoder reads (Latin or Arabic script)."""
    return is_latin(s) or is_persian(s)


def loose(s):
    """The geocoder's loose form (crates/core/src/geospatial/geocode/normalize.rs): ezafe words dropped, then
    oo/ou->u, ee->i, gh->q, dj->j, tch->ch, ow->o before a consonant, e->a, y->i, w->v."""
    out = []
    for w in fold(s).split():
        if w in ("e", "ye", "i"):
            continue
        if w.isascii():
            w = re.sub(r"o[uo]", "u", w)
            w = w.replace("ee", "i").replace("gh", "q").replace("dj", "j").replace("tch", "ch")
            w = re.sub(r"ow(?![aeiou])", "o", w)
            w = w.replace("e", "a").replace("y", "i").replace("w", "v")
        out.append(w)
    return " ".join(out)



def ascii_form(n):
    n = n.replace("ə", "a").replace("Ə", "A").replace("ı", "i")
    return "".join(c for c in unicodedata.normalize("NFKD", n) if not unicodedata.combining(c))


def osa(a, b, cap=2):
    """Levenshtein distance with adjacent transpositions (the geocoder's), None above cap."""
    if abs(len(a) - len(b)) > cap:
        return None
    prev2, prev = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > cap:
            return None
        prev2, prev = prev, cur
    return prev[-1] if prev[-1] <= cap else None


def deletions(s):
    out = {s} | {s[:i] + s[i + 1:] for i in range(len(s))}
    return out | {t[:i] + t[i + 1:] for t in list(out) for i in range(len(t))}



# ---------------------------------------------------------------- polygons

def polygons(ft):
    g = ft["geometry"]
    return [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]


def in_ring(ring, x, y):
    inside, j = False, len(ring) - 1
    for i in range(len(ring)):
        (xi, yi), (xj, yj) = ring[i][:2], ring[j][:2]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def in_area(ft, lat, lon, km=0.0):
    """Inside the polygon, or within km of its outline (GeoNames points sit on coarse borders)."""
    for poly in polygons(ft):
        if in_ring(poly[0], lon, lat) and not any(in_ring(h, lon, lat) for h in poly[1:]):
            return True
    if km:
        kx = 111.32 * math.cos(math.radians(lat))
        for poly in polygons(ft):
            for ring in poly:
                for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:]):
                    ax, ay, bx, by = (x0 - lon) * kx, (y0 - lat) * 111.32, (x1 - lon) * kx, (y1 - lat) * 111.32
                    dx, dy = bx - ax, by - ay
                    t = max(0.0, min(1.0, -(ax * dx + ay * dy) / (dx * dx + dy * dy or 1)))
                    if (ax + t * dx) ** 2 + (ay + t * dy) ** 2 <= km * km:
                        return True
    return False


def area_point(pid):
    """(point, how): the area-weighted centroid of the polygon (the geocoder's representative
    point), or the mean of the area's places if the centroid falls outside ("outside" if it has none)."""
    ft = PROVINCES[pid]
    a = cx = cy = 0.0
    for poly in polygons(ft):
        for k, ring in enumerate(poly):
            s = -1 if k else 1
            for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:]):
                c = x0 * y1 - x1 * y0
                a, cx, cy = a + s * c, cx + s * (x0 + x1) * c, cy + s * (y0 + y1) * c
    pt = (cy / (3 * a), cx / (3 * a))
    members = [p for p in PLACES.values() if p["province"] == pid]
    if not in_area(ft, *pt):
        return (mean_pt(members), "mean of its places") if members else (pt, "outside")
    return pt, "centroid"
