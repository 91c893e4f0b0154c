#!/usr/bin/env python3
"""Generate the data-driven evaluation of the geocoder (tests/geocode-eval-generated.tsv, or
the file given with --out; tests/geocode_eval.rs runs it into its own folder, so the
evaluation always follows the data pack and the file is not committed).

Every phrasing is built from the region data pack (data/region: places.tsv, provinces.geojson,
countries.geojson, region.json); no place name is written here, so another pack works too.
Run `python3 scripts/gen_geocode_eval.py` (needs geographiclib). The output is deterministic
(sorted iteration, seeded per place) and read by tests/geocode_eval.rs.

Columns: query, expect (match | ambiguous | unknown), lat, lon, tolerance_km, precision,
class, script (latin | persian), note (names the geonameid or area id).

Scope: every place with population >= 5,000 and every province/district area. Classes:
plain, variant, persian, typo, qualifier, province-qualifier, offset, coordinates, context,
twin, district-seat, province, outdated-name (see the functions of the same names).

Rules for the expectations (what a user expects, not what the geocoder does today):
- Names meet when their fold() (case, diacritics, punctuation, Arabic letter forms), their
  translit_key() or their loose() form (translit_key's rules plus the geocoder's documented
  ezafe and y/i rules) are equal. Only Latin- and Arabic-script names count.
- A name shared by several places: the expected point is the most populous; if the runner-up
  has >= 10 % of its population and lies in another province or farther than 10 km, expect
  `ambiguous` (the expected point must be among the candidates). A tie on population in the
  same province is unclear and skipped; so is every other unclear case.
- A bare name that is both an area and a place inside (or next to) it is the place; with
  province/district/rayon/rayonu/استان/شهرستان it is the area. A bare name shared by an area and
  a place outside it is the area (the hand-written set's convention); shared by two areas or
  by a country, it is skipped.
- Twin pairs: places of different countries within 30 km (both >= 500 people) whose names have
  the same key, or keys (spaces removed, names of 6+ letters) within the typo reach of both
  names (1 edit for 6-8 letters, 2 for 9+; the brief's plain "lev <= 2" also paired unrelated
  names such as Gardaban/Berdavan). Bare twin spellings are `ambiguous`, expected point the
  home country's town (region.json) when it is one of them, else the larger; with a province
  or country context they `match` that town. Twin towns can be 2 km apart: their tolerance is
  min(3 km, 45 % of the distance between them).
- Never a phrasing that is exactly (fold or key) another entity's name; a typo is kept only
  when the intended place's names are strictly the nearest (Levenshtein with transpositions,
  on translit_key and on loose, over every name of places, provinces and countries) and
  within the geocoder's reach: 1 edit for names of 5-8 letters, 2 for 9+.
- An area's seat is the most populous place of its country inside (or within 5 km of) it whose
  name meets one of the area's names (without Province/District words), if it has 5,000
  people or is the area's largest place; a village that merely carries a province's name makes
  the bare name unclear (skipped). "X Province"/"X District"/"X Rayon"/"X rayonu"/استان X/
  شهرستان X follow the suffix the country's areas use in their names (شهرستان X is skipped for
  twin names: the twin across the border is a county of that name too).
- Tolerances: towns 3 km, coordinates 1 km, "near X" 10 km, "D km <dir> of X" 5 km + 20 % of
  D, "<dir> of X" without a distance = 10 km that way (tolerance 7 km), parts of areas as
  part_of() (only where >= 90 % of that part of the area's bbox lies in the region's bbox:
  part_of sees the region's places only), areas 70 km around the polygon's area-weighted
  centroid (the geocoder's representative point), or the mean of the area's GeoNames places
  when the centroid falls outside the polygon (areas with neither are skipped).
"""
import itertools
import json
import os
import random
import re
import sys
from collections import Counter, defaultdict

from geocode_eval_common import (
    COUNTRIES, DATA, PLACES, PROVINCES, ROOT, allowed_edits, area_names, area_point, ascii_form, bbox,
    deletions, dist_km, fold, in_area, is_arabic_char, is_latin, is_persian, letters, loose, offset, osa,
    part_of, place_pt, readable, translit_key)

OUT = os.path.join(ROOT, "tests", "geocode-eval-generated.tsv")
MIN_POP, TWIN_KM, TWIN_MIN_POP = 5000, 30, 500
with open(os.path.join(DATA, "region.json"), encoding="utf-8") as f:
    HOME, REGION_BBOX = (lambda r: (r["home_country"], r["bbox"]))(json.load(f))

# ---------------------------------------------------------------- scripts and keys

AZ_LETTERS = set("əƏıİşŞçÇğĞöÖüÜ")
AREA_WORDS = {"Province": (["Province"], "استان"), "District": (["District", "Rayon", "rayonu"], "شهرستان")}
AREA_SUFFIX = re.compile(r"\s+(province|district|rayon|rayonu|region|city|welaýaty)$", re.I)
AREA_PREFIX = re.compile(r"^(استان|شهرستان|ostan-e)\s+", re.I)


def usable_latin(s):
    """A Latin name a user would type: capitalised, no digits or commas, no IATA-like codes (this
    drops GeoNames' lower-case machine transliterations such as 'bylh swar')."""
    return (is_latin(s) and s[:1].isupper() and not re.search(r"[\d,]", s)
            and not (s.isupper() and len(s) <= 4) and letters(s) >= 3)


def usable_persian(s):
    return is_persian(s) and not re.search(r"[\d,،]", s) and sum(c.isalpha() for c in s) >= 2


def script_of(q):
    return "persian" if any(is_arabic_char(c) for c in q) else "latin"


KEYS = (("fold", fold), ("translit", translit_key), ("loose", loose))


# ---------------------------------------------------------------- the gazetteer as entities

def names_of(e):
    kind, i = e
    if kind == "place":
        return PLACES[i]["names"]
    return area_names((PROVINCES if kind == "province" else COUNTRIES)[i])


ENTITIES = ([("place", g) for g in sorted(PLACES, key=int)] + [("province", p) for p in sorted(PROVINCES)]
            + [("country", c) for c in sorted(COUNTRIES)])
INDEX = {k: defaultdict(set) for k, _ in KEYS}
for ent in ENTITIES:
    for n in names_of(ent):
        if readable(n):
            for k, f in KEYS:
                INDEX[k][f(n)].add(ent)


def namesakes(q):
    return set().union(*(INDEX[k].get(f(q), set()) for k, f in KEYS))


def exact_names(q):
    return INDEX["fold"].get(fold(q), set()) | INDEX["translit"].get(translit_key(q), set())


def pop(e):
    return PLACES[e[1]]["population"] if e[0] == "place" else -1


def describe(e):
    if e[0] == "place":
        return f"gid {e[1]} {PLACES[e[1]]['name']}"
    return f"{e[0]} {e[1]} {names_of(e)[0]}"


def contains(area, gid):
    p = PLACES[gid]
    if area[0] == "country":
        return p["country"] == area[1]
    return p["province"] == area[1] or in_area(PROVINCES[area[1]], p["lat"], p["lon"], km=5)


def base_name(n):
    return AREA_PREFIX.sub("", AREA_SUFFIX.sub("", n)).strip()


def area_kind(country):
    """'District' or 'Province': the suffix the country's areas use most in their names."""
    last = Counter(n.split()[-1] for ft in PROVINCES.values() if ft["properties"]["country"] == country
                   for n in area_names(ft))
    return "District" if last["District"] + last["Rayon"] > last["Province"] else "Province"


SCOPE = [g for g in sorted(PLACES, key=int) if PLACES[g]["population"] >= MIN_POP]


def unique(names, pred):
    """The names that pass pred, the first of each fold()."""
    out = {}
    for n in names:
        if pred(n):
            out.setdefault(fold(n), n)
    return list(out.values())


def latin_names(gid):
    """Primary name first, then the usable Latin alternates, one per fold()."""
    return unique([PLACES[gid]["name"]] + sorted(PLACES[gid]["names"][1:]), usable_latin)


def persian_names(names):
    return unique(names, usable_persian)


# ---------------------------------------------------------------- twins

def twin_match(na, nb):
    if not (readable(na) and readable(nb)) or is_persian(na) != is_persian(nb):
        return False
    ka, kb = translit_key(na).replace(" ", ""), translit_key(nb).replace(" ", "")
    if ka == kb or loose(na) == loose(nb):
        return True
    if min(letters(na), letters(nb)) < 6:
        return False
    d = osa(ka, kb)
    return d is not None and d <= min(allowed_edits(na), allowed_edits(nb))


def find_twins():
    big = [g for g in sorted(PLACES, key=int) if PLACES[g]["population"] >= TWIN_MIN_POP]
    twins = []
    for a, b in itertools.combinations(big, 2):
        pa, pb = PLACES[a], PLACES[b]
        if pa["country"] == pb["country"] or abs(pa["lat"] - pb["lat"]) > 0.3 or abs(pa["lon"] - pb["lon"]) > 0.4:
            continue
        d = dist_km(place_pt(a), place_pt(b))
        if d > TWIN_KM:
            continue
        pairs = [(na, nb) for na in set(pa["names"]) for nb in set(pb["names"]) if twin_match(na, nb)]
        if pairs:
            twins.append(dict(a=a, b=b, km=d, names={a: sorted({x for x, _ in pairs}), b: sorted({y for _, y in pairs})}))
    return twins


TWINS = find_twins()
TWIN_KEYS = {f(n) for t in TWINS for ns in t["names"].values() for n in ns for _, f in KEYS[1:]}


def is_twin_name(q):
    return translit_key(q) in TWIN_KEYS or loose(q) in TWIN_KEYS


# ---------------------------------------------------------------- expectations

def resolve(q, target, within=None, twins_ok=False):
    """'match', 'ambiguous' or None (skip: another entity wins or the choice is unclear)."""
    s = namesakes(q)
    if target not in s or (not twins_ok and is_twin_name(q)):
        return None
    areas = sorted(e for e in s if e[0] != "place")
    places = sorted((e for e in s if e[0] == "place"), key=lambda e: (-pop(e), int(e[1])))
    if target[0] != "place":
        if any(e != target for e in areas) or any(contains(target, e[1]) for e in places):
            return None
        return "match"
    if within:  # ("province", id) or ("country", id) written next to the name
        if within in areas:
            return None
        places = [e for e in places if PLACES[e[1]][within[0]] == within[1]]
    elif any(e[0] == "country" or not contains(e, target[1]) for e in areas):
        return None
    if places[0] != target:
        return None
    if len(places) > 1:
        best, second = PLACES[target[1]], PLACES[places[1][1]]
        if second["population"] >= 0.1 * best["population"] and (
                second["province"] != best["province"] or dist_km(place_pt(target[1]), place_pt(places[1][1])) > 10):
            return None if within else "ambiguous"
        if second["population"] == best["population"]:
            return None
    return "match"


ROWS, SEEN, EXACT, SKIPPED = [], {}, set(), Counter()


def add(cls, query, expect, pt, tol, precision, note, target=None, bare=False):
    """Adds a row unless the phrasing is another entity's exact name or repeats a query."""
    if not bare and target and exact_names(query) - {target}:
        SKIPPED[cls + ": phrasing is another entity's name"] += 1
        return False
    prev = SEEN.get(fold(query))  # the first row of a folded query sets its expectation
    if prev and prev["expect"] != expect or prev and expect == "match" and dist_km(prev["pt"], pt) > 0.01:
        SKIPPED[f"{cls}: query already expected otherwise in {prev['cls']}"] += 1
        return False
    if (query, pt) in EXACT:
        SKIPPED[cls + ": repeated query"] += 1
        return False
    row = dict(query=query, expect=expect, pt=pt, tol=tol, precision=precision, cls=cls,
               script=script_of(query), note=note)
    SEEN.setdefault(fold(query), row)
    EXACT.add((query, pt))
    ROWS.append(row)
    return True


def add_name(cls, q, target, note, within=None, twins_ok=False, precision=None):
    """A bare name of a place or area, expectation from resolve()."""
    expect = resolve(q, target, within, twins_ok)
    if expect is None:
        SKIPPED[cls + ": shared or unclear name"] += 1
        return False
    if expect == "ambiguous":
        rival = min((e for e in namesakes(q) if e[0] == "place" and e != target), key=lambda e: (-pop(e), int(e[1])))
        note += f"; also gid {rival[1]} {PLACES[rival[1]]['province']} pop {pop(rival)}"
    if target[0] == "place":
        return add(cls, q, expect, place_pt(target[1]), 3, precision or "place", f"{describe(target)}; {note}", target, bare=True)
    pt, how = area_point(target[1])
    return add(cls, q, expect, pt, 70, "province", f"{describe(target)}; {how}; {note}", target, bare=True)


def rng_for(*parts):
    return random.Random(":".join(map(str, parts)))


def match_name(gid):
    """The first Latin name of the place that resolves to it alone."""
    return next((n for n in latin_names(gid) if resolve(n, ("place", gid)) == "match"), None)


# ---------------------------------------------------------------- classes 1-4: names

def gen_plain():
    for i, gid in enumerate(SCOPE):
        names = latin_names(gid)
        if not names:
            continue
        alts = sorted(names[1:], key=lambda n: (translit_key(n) == translit_key(names[0]), fold(n)))
        for n in [names[0]] + alts[:1 if i % 8 == 0 else 0]:
            add_name("plain", n, ("place", gid), "primary" if n == PLACES[gid]["name"] else "alternate")


VARIANT_RULES = [
    ("ezafe dropped", lambda n: re.sub(r"-y?e[ -]", " ", n)),
    ("ezafe hyphenated", lambda n: re.sub(r"-(y?e) ", r"-\1-", n)),
    ("hyphen as space", lambda n: n.replace("-", " ")),
    ("space as hyphen", lambda n: n.replace(" ", "-")),
    ("apostrophe dropped", lambda n: re.sub(r"['’‘`ʻʼ]", "", n)),
    ("ASCII apostrophe", lambda n: re.sub(r"[’‘`ʻʼ]", "'", n)),
    ("no diacritics", lambda n: ascii_form(n)),
    ("e as a", lambda n: re.sub(r"(?<=\w)e(?=\w)|(?<=\w\w)e\b", "a", n, count=1)),
    ("a as e", lambda n: re.sub(r"(?<=\w)a(?=\w)|(?<=\w\w)a\b", "e", n, count=1)),
    ("u as ou", lambda n: n[0] + re.sub(r"(?<!o)u", "ou", n[1:], count=1)),
    ("ou as u", lambda n: n.replace("ou", "u")),
    ("q as gh", lambda n: n[0] + n[1:].replace("q", "gh", 1)),
    ("gh as q", lambda n: n.replace("gh", "q")),
]


def gen_variant():
    for i, gid in enumerate(SCOPE):
        if i % 2:
            continue
        target, own = ("place", gid), {fold(n) for n in PLACES[gid]["names"]}
        rules = VARIANT_RULES[i % len(VARIANT_RULES):] + VARIANT_RULES[:i % len(VARIANT_RULES)]  # a per-place rotation
        done = False  # one variant per place
        for n, (label, rule) in itertools.product(latin_names(gid), rules):
            base = n if label == "no diacritics" else ascii_form(n)
            v = rule(base)
            same = translit_key(v) == translit_key(n) or (label.startswith("ezafe") and loose(v) == loose(n))
            if not done and v != base and v not in PLACES[gid]["names"] and same and (fold(v) not in INDEX["fold"] or fold(v) in own):
                done = add_name("variant", v, target, f"{label} of {n!r}")


def persian_variant(n):
    for a, b, label in (("ی", "ي", "Arabic yeh"), ("ک", "ك", "Arabic kaf"), (" ", "\u200c", "ZWNJ for space")):
        if a in n:
            return n.replace(a, b), label
    return None, None


def gen_persian():
    for i, gid in enumerate(SCOPE):
        names = persian_names(PLACES[gid]["names"])
        for n in names[:1] if i % 4 != 3 else []:
            add_name("persian", n, ("place", gid), "alternate")
        if names and i % 8 == 0:
            v, label = persian_variant(names[0])
            if v:
                add_name("persian", v, ("place", gid), f"{label} in {names[0]}")


NEAR = {}  # key function -> {string with <= 2 letters deleted: {(key, entity)}} of every Latin name


def near_names(q, f):
    """{entity: smallest distance <= 2} from the key f(q), over every Latin name."""
    if f not in NEAR:
        NEAR[f] = defaultdict(set)
        for ent, n in ((e, n) for e in ENTITIES for n in names_of(e) if is_latin(n)):
            for d in deletions(f(n)):
                NEAR[f][d].add((f(n), ent))
    out = {}
    for k2, ent in set().union(*(NEAR[f].get(d, set()) for d in deletions(f(q)))):
        d = osa(f(q), k2)
        if d is not None and d < out.get(ent, 9):
            out[ent] = d
    return out


def typo_ok(q, gid, name):
    """The typo's nearest names are the place's (or its same-named area's), strictly."""
    target = ("place", gid)
    for f in (translit_key, loose):
        near = near_names(q, f)
        d = near.get(target)
        if d is None or d == 0 or d > allowed_edits(name):
            return False
        others = [v for e, v in near.items() if e != target and not (  # the same-named area around it
            e[0] == "province" and contains(e, gid) and any(f(base_name(n)) == f(name) for n in names_of(e)))]
        if others and min(others) <= d:
            return False
    return True


def make_typo(name, rng):
    chars, ops = list(name), []
    for _ in range(2 if letters(name) >= 9 else 1):
        spots = [i for i in range(1, len(chars)) if chars[i].isascii() and chars[i].isalpha() and chars[i - 1].isalpha()]
        if not spots:
            return None, ops
        i, op = rng.choice(spots), rng.choice(["substitution", "deletion", "insertion", "transposition"])
        if op == "substitution":
            chars[i] = rng.choice([c for c in "abcdefghijklmnopqrstuvwxyz" if c != chars[i].lower()])
        elif op == "deletion":
            del chars[i]
        elif op == "insertion":
            chars.insert(i, rng.choice([chars[i], chars[i - 1], rng.choice("aeiourntslkhmd")]).lower())
        elif i + 1 < len(chars) and chars[i + 1].isalpha() and chars[i + 1] != chars[i]:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            return None, ops
        ops.append(op)
    return "".join(chars), ops


def gen_typo():
    for i, gid in enumerate(SCOPE):
        name = match_name(gid) if i % 2 == 0 else None
        if not name or letters(name) < 5:
            continue
        rng = rng_for("typo", gid)
        for _ in range(25):
            q, ops = make_typo(ascii_form(name), rng)
            if q and ops and fold(q) != fold(name) and not exact_names(q) and typo_ok(q, gid, name):
                add("typo", q, "match", place_pt(gid), 3, "place",
                    f"{describe(('place', gid))}; {'+'.join(ops)} in {name!r}", ("place", gid))
                break
        else:
            SKIPPED["typo: no typo strictly nearest the place"] += 1


# ---------------------------------------------------------------- classes 5-7: qualifiers, offsets, coordinates

DIRECTIONS = [("north", 0), ("northeast", 45), ("east", 90), ("southeast", 135), ("south", 180),
              ("southwest", 225), ("west", 270), ("northwest", 315)]
PERSIAN_DIR = {"north": "شمال", "south": "جنوب", "east": "شرق", "west": "غرب", "northeast": "شمال شرق",
               "northwest": "شمال غرب", "southeast": "جنوب شرق", "southwest": "جنوب غرب"}
PARTS = [("northern", "north"), ("southern", "south"), ("eastern", "east"), ("western", "west"), ("central", "central")]


def persian_digits(n):
    return str(n).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


def gen_qualifier():
    for i, gid in enumerate(SCOPE):
        name, target = match_name(gid), ("place", gid)
        if name and i % 5 == 0:
            add("qualifier", f"near {name}", "match", place_pt(gid), 10, "near", f"{describe(target)}; near", target)
        if name and i % 8 == 1:
            word, az = DIRECTIONS[i // 8 % 8]
            add("qualifier", f"{word} of {name}", "match", offset(place_pt(gid), az, 10), 7, "near",
                f"{describe(target)}; no distance: 10 km at azimuth {az}", target)
        pers = [n for n in persian_names(PLACES[gid]["names"]) if resolve(n, target) == "match"]
        if pers and i % 8 == 3:
            add("qualifier", f"نزدیک {pers[0]}", "match", place_pt(gid), 10, "near", f"{describe(target)}; Persian 'near'", target)


BASES = defaultdict(set)  # loose form of an area's name without Province/District words -> areas
for _pid, _ft in PROVINCES.items():
    for _n in area_names(_ft):
        BASES[loose(base_name(_n))].add(("province", _pid))


QUALIFIER_WORDS = {fold(w) for w in "central north south east west northern southern eastern western".split()
                   + ["مرکزی", "شمالی", "جنوبی", "شرقی", "غربی"] + list(PERSIAN_DIR.values())}


def area_base_names(pid, persian):
    """The area's names without Province/District words, one per fold, that name no other area or
    country."""
    out, seen = [], set()
    for n in area_names(PROVINCES[pid]):
        b = base_name(n)
        if (is_persian(b) if persian else usable_latin(b)) and fold(b) not in seen:
            seen.add(fold(b))
            if not any(e[0] != "place" and e != ("province", pid) for e in namesakes(b) | BASES[loose(b)]):
                out.append(b)
    return out


def seat_of(pid):
    """The most populous place of the area's country inside (or next to) the area sharing one of
    its names' keys, if it has 5,000 people or is the area's largest place (a village that
    happens to carry a province's name is no seat: the bare name is then unclear and skipped)."""
    ft, area = PROVINCES[pid], ("province", pid)
    seats = {e for k, f in KEYS for n in area_names(ft) for e in INDEX[k].get(f(base_name(n)), ())
             if e[0] == "place" and PLACES[e[1]]["country"] == ft["properties"]["country"] and contains(area, e[1])}
    seat = max(sorted(seats), key=pop, default=None)
    largest = max((p["population"] for p in PLACES.values() if p["province"] == pid), default=0)
    return seat if seat and pop(seat) >= min(MIN_POP, largest) else None


def part_in_region(pid, part):
    """Whether >= 90 % of the bbox third that part_of() uses lies in the region's bbox (part_of
    only sees the region's places)."""
    x0, y0, x1, y1 = bbox(PROVINCES[pid])
    dx, dy = (x1 - x0) / 3, (y1 - y0) / 3
    box = {"north": (x0, y1 - dy, x1, y1), "south": (x0, y0, x1, y0 + dy), "east": (x1 - dx, y0, x1, y1),
           "west": (x0, y0, x0 + dx, y1), "central": (x0 + dx, y0 + dy, x1 - dx, y1 - dy)}[part]
    rx0, ry0, rx1, ry1 = REGION_BBOX
    w, h = min(box[2], rx1) - max(box[0], rx0), min(box[3], ry1) - max(box[1], ry0)
    return w > 0 and h > 0 and w * h >= 0.9 * (box[2] - box[0]) * (box[3] - box[1])


def gen_province_qualifier():
    for pid in sorted(PROVINCES):
        seat = seat_of(pid)
        shared = f"; shares its name with the town {describe(seat)}" if seat else ""
        # "southern Central" (Province) or شمال مرکزی are no phrasings: qualifier words need استان
        latin = [b for b in area_base_names(pid, False) if fold(b) not in QUALIFIER_WORDS]
        pers = area_base_names(pid, True)
        kind = area_kind(PROVINCES[pid]["properties"]["country"])
        for j, (adj, part) in enumerate(PARTS):
            if not part_in_region(pid, part):
                SKIPPED["province-qualifier: that part lies partly outside the region (part_of would be biased)"] += 1
                continue
            try:
                pt, tol, long_note = part_of(pid, part)
                note = f"{part} of {pid}: " + re.sub(r" GeoNames places.*$", " places", long_note).replace("centroid of the ", "mean of ")
            except AssertionError:
                SKIPPED["province-qualifier: fewer than 3 places in that part"] += 1
                continue
            if latin:
                add("province-qualifier", f"{adj} {latin[j % len(latin)]}", "match", pt, tol, "region", note + shared, ("province", pid))
            if pers and part != "central" and kind == "Province":
                q = f"{PERSIAN_DIR[part]} {'استان ' if j % 2 or fold(pers[0]) in QUALIFIER_WORDS else ''}{pers[0]}"
                add("province-qualifier", q, "match", pt, tol, "region", note + shared, ("province", pid))


def gen_offset():
    forms = ["{d} km {w} of {x}", "{d}km {s} of {x}", "{d} kilometers {w} of {x}", "{d} km {h} of {x}"]
    for i, gid in enumerate(SCOPE[::5]):
        name, target, rng = match_name(gid), ("place", gid), rng_for("offset", gid)
        km, (word, az) = rng.choice([5, 8, 10, 12, 15, 20, 25, 30, 40, 50]), rng.choice(DIRECTIONS)
        hyph = re.sub(r"^(north|south)(east|west)$", r"\1-\2", word)
        if name:
            q = forms[i % len(forms)].format(d=km, w=word, s="".join(w[0] for w in hyph.split("-")).upper(), h=hyph, x=name)
            add("offset", q, "match", offset(place_pt(gid), az, km), round(5 + 0.2 * km, 1), "near",
                f"{describe(target)}; {km} km at azimuth {az}", target)
        pers = [n for n in persian_names(PLACES[gid]["names"]) if resolve(n, target) == "match"]
        if pers and i % 3 == 0:
            q = f"{persian_digits(km)} کیلومتری {PERSIAN_DIR[word]} {pers[0]}"
            add("offset", q, "match", offset(place_pt(gid), az, km), round(5 + 0.2 * km, 1), "near",
                f"{describe(target)}; Persian, {km} km at azimuth {az}", target)


def dms(v, pos, neg, mins="′", secs="″"):
    total = round(abs(v) * 3600)
    d, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    return f"{d}°{m:02d}{mins}{s:02d}{secs}{pos if v >= 0 else neg}", (d + m / 60 + s / 3600) * (1 if v >= 0 else -1)


def gen_coordinates():
    for i, gid in enumerate(SCOPE[::8]):
        lat, lon = round(PLACES[gid]["lat"], 4), round(PLACES[gid]["lon"], 4)
        form = i % 7
        if form < 5:
            q = [f"{lat}, {lon}", f"{lat}N {lon}E", f"N{lat} E{lon}", f"{lon}E, {lat}N", f"{lat} {lon}"][form]
            pt = (lat, lon)
        else:
            (la, vla), (lo, vlo) = dms(lat, "N", "S", *(("'", '"') if form == 6 else ())), dms(lon, "E", "W", *(("'", '"') if form == 6 else ()))
            q, pt = (f"{la} {lo}" if form == 5 else f"{la}, {lo}"), (vla, vlo)
        add("coordinates", q, "match", pt, 1, "exact", f"GeoNames point of gid {gid} {PLACES[gid]['name']}")


# ---------------------------------------------------------------- classes 8-12: context, twins, areas

def context_forms(t, p, kind, persian):
    if persian:
        return [f"{AREA_WORDS[kind][1]} {p}، {t}", f"{t}، {p}", f"{t} ({p})"]
    return [f"{t}, {p}", f"{p}: {t}", f"{p} - {t}", f"{t} ({p})", f"{p} {kind.lower()}, {t}", f"{t} in {p}"]


def gen_context():
    for i, gid in enumerate(SCOPE):
        pl, pid, target = PLACES[gid], PLACES[gid]["province"], ("place", gid)
        if pid not in PROVINCES:
            continue
        kind = area_kind(pl["country"])
        for persian in (False, True):
            tn = (persian_names(pl["names"]) if persian else latin_names(gid))[:1]
            pn = area_base_names(pid, persian)
            if not tn or not pn or any(loose(tn[0]) == loose(b) for b in pn):
                continue
            elsewhere = any(e[0] == "place" and PLACES[e[1]]["province"] != pid for e in namesakes(tn[0]) - {target})
            forms = context_forms(tn[0], pn[i // 6 % len(pn)], kind, persian)
            if not elsewhere and i % (12 if persian else 6):
                continue
            forms = (forms * 2)[i % len(forms):][:(len(forms) + 1) // 2 if elsewhere else 1]  # a rotating window
            why = "name shared with a place in another province" if elsewhere else "ordinary town"
            if resolve(tn[0], target, within=("province", pid), twins_ok=True) != "match":
                SKIPPED["context: shared or unclear name in its province"] += 1
                continue
            for q in forms:
                add("context", q, "match", place_pt(gid), 3, "place", f"{describe(target)}; {why}", target)


def country_context(cid, other_gid, persian):
    """The country's first name (script as asked) that is no word-part of the other twin's province names."""
    other = " ".join(fold(n) for n in area_names(PROVINCES[PLACES[other_gid]["province"]]))
    for n in area_names(COUNTRIES[cid]):
        if (is_persian(n) if persian else usable_latin(n)) and f" {fold(n)} " not in f" {other} ":
            return n
    return None


def twin_spellings(g, other, t):
    """The town's spellings that meet the other town's names, with its area's Persian ones."""
    own = [n for n in t["names"][g] if usable_latin(n) or usable_persian(n)]
    area = [base_name(n) for n in area_names(PROVINCES[PLACES[g]["province"]])]
    own += [n for n in area if usable_persian(n) and any(twin_match(n, m) for m in t["names"][other])]
    return sorted({fold(n): n for n in own}.values())


def twin_contexts(g, other, n, t):
    """Province (without a twin spelling) and country names to put after the town's name n."""
    persian, pid = is_persian(n), PLACES[g]["province"]
    spellings = t["names"][g] + t["names"][other] + [n]
    pn = [b for b in area_base_names(pid, persian) if not any(twin_match(b, m) for m in spellings)]
    pn = pn or [a for a in area_names(PROVINCES[pid]) if (is_persian(a) if persian else usable_latin(a))
                and not any(twin_match(base_name(a), m) or twin_match(a, m) for m in spellings)]
    cn = country_context(PLACES[g]["country"], other, persian)
    return [("province", c) for c in pn[:1]] + ([("country", cn)] if cn else [])


def gen_twin():
    for t in TWINS:
        a, b = t["a"], t["b"]
        pa, pb = PLACES[a], PLACES[b]
        home = [g for g in (a, b) if PLACES[g]["country"] == HOME]
        expected = home[0] if home else max((a, b), key=lambda g: (PLACES[g]["population"], -int(g)))
        tol = min(3, round(0.45 * t["km"], 1))
        pair = f"twins gid {a}/{b} ({pa['country']}/{pb['country']}, {t['km']:.1f} km)"
        print(f"twin pair gid {a} {pa['name']} ({pa['country']}, pop {pa['population']}) / gid {b} {pb['name']} "
              f"({pb['country']}, pop {pb['population']}), {t['km']:.1f} km apart: {', '.join(twin_spellings(a, b, t))} ~ {', '.join(twin_spellings(b, a, t))}")
        for g, other in ((a, b), (b, a)):
            for n in twin_spellings(g, other, t):
                add("twin", n, "ambiguous", place_pt(expected), tol, "place",
                    f"spelling of gid {g}; gid {expected} expected ({'home country' if home else 'larger'}); {pair}",
                    ("place", expected), bare=True)
                for field, ctx in twin_contexts(g, other, n, t):
                    if resolve(n, ("place", g), within=(field, PLACES[g][field]), twins_ok=True) != "match":
                        SKIPPED["twin: another namesake wins in that context"] += 1
                        continue
                    add("twin", n + ("، " if is_persian(n) else ", ") + ctx, "match", place_pt(g), tol, "place",
                        f"{describe(('place', g))}; {pair}", ("place", g))


def gen_district_seat():
    for pid in sorted(PROVINCES):
        seat, area = seat_of(pid), ("province", pid)
        if not seat:
            continue
        keys = {f(base_name(n)) for n in area_names(PROVINCES[pid]) for _, f in KEYS}
        cands = latin_names(seat[1])[:1] + persian_names(area_names(PROVINCES[pid]) + PLACES[seat[1]]["names"])[:1]
        cands += [b for n in area_names(PROVINCES[pid]) for b in [base_name(n)] if usable_latin(b)]
        for n in sorted({fold(n): n for n in cands if any(f(n) in keys for _, f in KEYS)}.values()):
            add_name("district-seat", n, seat, f"town, also area {pid}")
        if any(n.endswith(" City") for n in area_names(PROVINCES[pid])):
            continue  # a city-level area: "X District" would not name it
        pt, how = area_point(pid)
        words, pword = AREA_WORDS[area_kind(PROVINCES[pid]["properties"]["country"])]
        for persian in (False, True):
            for b in area_base_names(pid, persian)[:1]:
                if persian and is_twin_name(b):
                    continue  # the twin across the border is a county (shahrestan) of the same name too
                for q in ([f"{pword} {b}"] if persian else [f"{b} {words[sum(map(ord, pid)) % len(words)]}"]):
                    add("district-seat", q, "match", pt, 70, "province",
                        f"{describe(area)} (not its town gid {seat[1]}); {how}", area)


ARTICLE = re.compile(r"^(a[lsrdtnz]|ash|el)[- ]", re.I)


def gen_province():
    for pid in sorted(PROVINCES):
        if area_point(pid)[1] == "outside":
            SKIPPED["province: centroid outside the polygon (the geocoder picks another inner point)"] += 1
            continue
        seated, area = seat_of(pid) is not None, ("province", pid)
        for n in unique(area_names(PROVINCES[pid]), lambda n: usable_latin(n) or usable_persian(n)):
            if n.endswith(" City") or seated and base_name(n) == n:
                continue  # "X City" is the town; the bare name of a seat's area is the district-seat class
            if ARTICLE.match(n) and any(contains(area, e[1]) for e in namesakes(ARTICLE.sub("", n)) if e[0] == "place"):
                continue  # "As-Sulaymaniyah": the town Sulaymaniyah inside, without its article
            add_name("province", n, area, "bare area name")


def gen_outdated_name():
    for gid in SCOPE:
        p = PLACES[gid]
        if p["country"] != "AZ" or AZ_LETTERS & set(p["name"]):
            continue
        local = sorted({fold(n): n for n in p["names"] if is_latin(n) and AZ_LETTERS & set(n) and usable_latin(n)}.values())
        for n in local:
            for q in [n] + [ascii_form(n)] * (fold(ascii_form(n)) not in map(fold, p["names"])):
                add_name("outdated-name", q, ("place", gid), f"Azerbaijani name {n!r}; GeoNames primary {p['name']!r}")


# ---------------------------------------------------------------- output

def fmt(x, nd=5):
    return f"{x:.{nd}f}".rstrip("0").rstrip(".")


def main():
    out = OUT
    if len(sys.argv) == 3 and sys.argv[1] == "--out":
        out = sys.argv[2]
    elif len(sys.argv) != 1:
        sys.exit("usage: gen_geocode_eval.py [--out FILE]")
    for gen in (gen_twin, gen_district_seat, gen_outdated_name, gen_plain, gen_variant, gen_persian, gen_typo,
                gen_province, gen_province_qualifier, gen_qualifier, gen_offset, gen_coordinates, gen_context):
        gen()
    lines = ["query\texpect\tlat\tlon\ttolerance_km\tprecision\tclass\tscript\tnote"]
    for r in ROWS:
        assert "\t" not in r["query"] + r["note"] and "\n" not in r["query"] + r["note"], r
        lat, lon = ("", "") if r["pt"] is None else (fmt(r["pt"][0]), fmt(r["pt"][1]))
        lines.append("\t".join([r["query"], r["expect"], lat, lon, fmt(r["tol"], 1), r["precision"], r["cls"], r["script"], r["note"]]))
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {out}: {len(ROWS)} rows, {os.path.getsize(out) // 1024} KB")
    by = Counter((r["cls"], r["script"], r["expect"]) for r in ROWS)
    for cls in dict.fromkeys(r["cls"] for r in ROWS):
        print(f"  {cls:20s} " + ", ".join(f"{s} {e} {n}" for (c, s, e), n in sorted(by.items()) if c == cls))
    print("  by script: " + ", ".join(f"{s} {n}" for s, n in sorted(Counter(r["script"] for r in ROWS).items())))
    for why, n in sorted(SKIPPED.items()):
        print(f"  skipped {n:5d}  {why}", file=sys.stderr)
    assert len(ROWS) >= 1500, len(ROWS)


if __name__ == "__main__":
    main()
