#!/usr/bin/env python3
"""Generate tests/geocode-eval.tsv, the evaluation set of the offline geocoder.

Every expected point comes from data/region/places.tsv (GeoNames cities500) or is computed
from GeoNames points with geographiclib (offsets, midpoints, means). Nothing is fetched: run
with `python3 scripts/make_geocode_eval.py` (needs `pip install geographiclib`).

Before writing, every row is checked against the gazetteer (the name exists on the expected
place, the expected place wins on population among same-named places, typos respect the
distance rules, unknown names are farther than 2 edits from every name) and a summary by
category is printed. A failed check aborts without writing.

Conventions encoded here (see the comment lines in the TSV):
- A bare name shared by a city and a province resolves to the city when the city lies in that
  province (Tehran, Qazvin, Zanjan, Ardabil, Baku, Yerevan…); otherwise to the province
  (Golestan is also a 240k town in Tehran province, Gilan an alternate name of Gilan-e Gharb
  in Kermanshah, Alborz of Alvand in Qazvin).
- Tolerances: towns 3 km (2 km where two candidates are 2.8 km apart), raw coordinates 1 km,
  "near X" 10 km, offsets 5 km + 20 % of the offset, midpoints 5 km + 10 % of the distance,
  parts of provinces 60 % of the half-extent clamped to 50-70 km, provinces 70 km around the
  mean of their GeoNames places, countries 400 km around their largest city.
"""
import os
import sys
from collections import Counter

from geocode_eval_common import (
    BY_FOLD, BY_KEY, COUNTRIES, FOLDED, PLACES, PROVINCES, ROOT, allowed_edits, area_names,
    describe, fold, lev, midpoint, offset, part_of, place_pt, pop, province_mean, translit_key)

OUT = os.path.join(ROOT, "tests", "geocode-eval.tsv")


# ---------------------------------------------------------------- rows and checks

CATEGORIES = []  # (key, comment, [row dicts])
ERRORS = []
WARNINGS = []


def category(key, comment):
    CATEGORIES.append((key, comment, []))


def add(query, expect, pt=None, tol=None, precision="", note=""):
    assert "\t" not in query and "\n" not in query
    CATEGORIES[-1][2].append(dict(query=query, expect=expect, pt=pt, tol=tol,
                                  precision=precision, note=note))


def competitors_exact(q, how):
    table, f = (BY_FOLD, fold) if how == "fold" else (BY_KEY, translit_key)
    return table.get(f(q), set())


def check_named(query, target, name_used, how, expect="match"):
    """target: ('place', gid) / ('province', id) / ('country', id). name_used must be one of the
    target's own names; the query must reach it by `how` and the target must win."""
    kind, i = target
    own = PLACES[i]["names"] if kind == "place" else area_names((PROVINCES if kind == "province" else COUNTRIES)[i])
    if name_used not in own:
        ERRORS.append(f"{query!r}: {name_used!r} is not a name of {describe(target)}")
        return
    if how in ("fold", "key"):
        f = fold if how == "fold" else translit_key
        if f(query) != f(name_used):
            ERRORS.append(f"{query!r} does not {how}-match {name_used!r}")
        cands = competitors_exact(query, how)
        if how == "key" and fold(query) in BY_FOLD:
            WARNINGS.append(f"{query!r} is itself a name of {sorted(describe(c) for c in BY_FOLD[fold(query)])}")
        if how == "fold":  # the transliteration rules must not bring in a bigger namesake
            for c in BY_KEY.get(translit_key(query), set()) - cands:
                if c[0] == "place" and kind == "place" and pop(c) > pop(target):
                    ERRORS.append(f"{query!r}: transliteration key also reaches bigger {describe(c)}")
                elif c != target:
                    WARNINGS.append(f"{query!r}: transliteration key also reaches {describe(c)}")
        others = {c for c in cands if c != target}
        places = [c for c in cands if c[0] == "place"]
        if kind == "place" and expect == "match":
            best = max(places, key=pop)
            if pop(best) > pop(target):
                ERRORS.append(f"{query!r}: {describe(best)} outranks {describe(target)}")
        return others
    if how == "typo":
        q, n = fold(query), fold(name_used)
        k = allowed_edits(name_used)
        d = lev(q, n)
        if d == 0 or d > k:
            ERRORS.append(f"typo {query!r} -> {name_used!r}: distance {d}, allowed {k}")
        if q in BY_FOLD or translit_key(query) in BY_KEY:
            ERRORS.append(f"typo {query!r} is an exact name of {BY_FOLD.get(q) or BY_KEY.get(translit_key(query))}")
        near = {}
        for fn, kk, ii in FOLDED:
            dd = lev(q, fn, 2)
            if dd <= allowed_edits(fn):
                near[(kk, ii)] = min(dd, near.get((kk, ii), 9))
        best_d = min(near.values()) if near else 9
        if near.get(target) != best_d:
            ERRORS.append(f"typo {query!r}: target at {near.get(target)}, others at {best_d}: "
                          f"{[describe(c) for c, v in near.items() if v == best_d]}")
        tied = [c for c, v in near.items() if v == best_d and c != target]
        # a tie with the province that contains the target place is the city/province rule
        tied = [c for c in tied if not (c[0] == "province" and kind == "place" and PLACES[i]["province"] == c[1])]
        if any(pop(c) > pop(target) or c[0] != "place" for c in tied):
            ERRORS.append(f"typo {query!r}: tie with {[describe(c) for c in tied]}")
        return set(near) - {target}
    raise ValueError(how)


def named(query, target, name_used, how, note, tol=3, precision="place", expect="match"):
    others = check_named(query, target, name_used, how, expect)
    kind, i = target
    if kind == "place":
        pt = place_pt(i)
    elif kind == "province":
        pt, _ = province_mean(i)
    else:
        raise ValueError
    if others:
        label = "other names within typo reach" if how == "typo" else "also named so"
        note += f"; {label}: " + ", ".join(sorted(describe(c) for c in others))[:200]
    add(query, expect, pt, tol, precision, note)


def unknown(query, note):
    q, k = fold(query), translit_key(query)
    for fn, kind, i in FOLDED:
        if lev(q, fn, 2) <= 2 or lev(k, translit_key(fn), 2) <= 2:
            ERRORS.append(f"unknown {query!r} is within 2 edits of {fn!r} ({kind} {i})")
            break
    add(query, "unknown", note=note)


def unknown_typo(query, note):
    """A typo beyond the allowed distance: no name may lie within its own allowance."""
    q, k = fold(query), translit_key(query)
    for fn, kind, i in FOLDED:
        a = allowed_edits(fn)
        if lev(q, fn, 2) <= a or lev(k, translit_key(fn), 2) <= a:
            ERRORS.append(f"{query!r} reaches {fn!r} ({kind} {i}) within its allowance {a}")
    add(query, "unknown", note=note)


SENTENCE_HITS = []


def sentence_names(text):
    words = fold(text).split()
    hits = []
    for n in range(1, 5):
        for j in range(len(words) - n + 1):
            g = " ".join(words[j:j + n])
            if g in BY_FOLD:
                hits.append((g, sorted(describe(c) for c in BY_FOLD[g])[:3]))
    return hits


def typo_reach(word):
    """Single-word gazetteer names that a typo-tolerant matcher would reach from `word`."""
    return sorted({describe((k, i)) for fn, k, i in FOLDED
                   if " " not in fn and 0 < lev(word, fn, 2) <= allowed_edits(fn)})


def sentence(text, pt, tol, precision, note, mention):
    hits = sentence_names(text)
    stray = [h for h in hits if h[0] not in mention]
    mentioned = {w for m in mention for w in fold(m).split()}
    fuzzy = [(w, typo_reach(w)) for w in fold(text).split() if w not in mentioned]
    fuzzy = [(w, r) for w, r in fuzzy if r]
    if stray:
        SENTENCE_HITS.append((text, stray))
        note += "; other words that are gazetteer names: " + ", ".join(repr(h[0]) for h in stray)
    if fuzzy:
        SENTENCE_HITS.append((text, fuzzy))
        note += "; words within typo reach of a name: " + ", ".join(f"{w!r} ~ {r[0]}" for w, r in fuzzy)
    add(text, "match", pt, tol, precision, note)


def pl(gid):
    return ("place", gid)


def pr(pid):
    return ("province", pid)


# ---------------------------------------------------------------- the rows

G = dict(rasht="118743", lahijan="126015", lahijan_ea="17861", anzali="141679", astara_ir="142676",
         astara_az="148445", tabriz="113646", ardabil="143083", sari="116996", gorgan="132892",
         zanjan="111453", qazvin="119505", tehran="112931", baku="587084", yerevan="616052",
         chalus="139223", sumgayit="584923", karaj="128747", qods="120292", bonab="140889",
         benab="140888", rudbar="118244", tonekabon="112656", hashtpar="113343", nowshahr="121959")

category("plain", "Plain Latin names, big and small places (GeoNames primary or ASCII name); precision place")
for q, gid, note in [
    ("Rasht", "118743", "Gilan capital"),
    ("Langarud", "125897", "Gilan town"),
    ("Rudsar", "118191", "Gilan town"),
    ("Masal", "141015", "small Gilan town (5 letters; Masally AZ is 2 edits away)"),
    ("Manjil", "124967", "Gilan town (Padegan-e Manjil 0.7 km away)"),
    ("Hashtpar", "113343", "Gilan town, seat of Talesh county"),
    ("Rashtabad", "118742", "Gilan village (pop 1628) containing the name Rasht: must not become Rasht"),
    ("Sari", "116996", "Mazandaran capital"),
    ("Babol", "142363", "Mazandaran city"),
    ("Amol", "143534", "Mazandaran city (4 letters)"),
    ("Chalus", "139223", "Mazandaran coast town"),
    ("Behshahr", "140918", "Mazandaran town"),
    ("Babolsar", "142358", "Mazandaran coast town"),
    ("Khalkhal", "128008", "Ardabil province town"),
    ("Parsabad", "121380", "Ardabil province, on the Aras"),
    ("Gorgan", "132892", "Golestan capital"),
    ("Kalaleh", "129512", "Golestan town"),
    ("Minudasht", "123927", "Golestan town"),
    ("Bandar-e Gaz", "141673", "Golestan port, hyphenated primary name"),
    ("Tabriz", "113646", "East Azerbaijan capital"),
    ("Ahar", "144616", "East Azerbaijan town (4 letters)"),
    ("Sarab", "117368", "East Azerbaijan town"),
    ("Abhar", "145034", "Zanjan province town"),
    ("Takestan", "113491", "Qazvin province town"),
    ("Damavand", "138042", "Tehran province town"),
    ("Firuzkuh", "134462", "Tehran province town"),
    ("Baku", "587084", "capital of Azerbaijan; also province AZ.BA (city inside it -> city)"),
    ("Ganja", "586523", "Azerbaijan city"),
    ("Sumgayit", "584923", "Azerbaijan city"),
    ("Salyan", "147271", "Azerbaijan town"),
    ("Ordubad", "147368", "Nakhchivan exclave town; also district AZ.OR (city inside it -> city)"),
    ("Yerevan", "616052", "capital of Armenia; also province AM.ER (city inside it -> city)"),
    ("Gyumri", "616635", "Armenia city"),
    ("Vanadzor", "616530", "Armenia city"),
    ("Ashtarak", "616877", "Armenia town"),
]:
    named(q, pl(gid), q, "fold", note)
for q, gid, note in [
    ("Tehran", "112931", "city/province name collision: the city lies in IR.TH -> city expected (province mean is 13 km away)"),
    ("Qazvin", "119505", "city/province name collision: city expected (province mean 24 km away)"),
    ("Zanjan", "111453", "city/province name collision: city expected (province mean 35 km away)"),
]:
    named(q, pl(gid), q, "fold", note)

category("variants", "Spelling, transliteration, diacritics, hyphen and apostrophe variants reachable by the promised rules")
for q, gid, used, how, note in [
    ("Bandar Anzali", "141679", "Bandar Anzali", "fold", "hyphen-less form (also a GeoNames alternate)"),
    ("Bandar-e-Anzali", "141679", "Bandar-e Anzali", "fold", "extra hyphen instead of space"),
    ("bandar e anzali", "141679", "Bandar-e Anzali", "fold", "lower case, space instead of hyphen"),
    ("BANDAR-E ANZALĪ", "141679", "Bandar-e Anzalī", "fold", "upper case with macron"),
    ("Ardebil", "143083", "Ardebil", "fold", "e/a variant; GeoNames alternate of the city; city/province collision -> city (city lies in IR.AR)"),
    ("Ardabīl", "143083", "Ardabīl", "fold", "GeoNames primary spelling with macron; city/province collision -> city"),
    ("Noshahr", "121959", "Nowshahr", "key", "ow/o rule (also 1 edit); Now Shahr, an Ardabil village (pop 1695), is 1 edit away"),
    ("Rāmsar", "117773", "Rāmsar", "fold", "diacritics (macron)"),
    ("Tonakabon", "112656", "Tonekābon", "key", "e/a rule"),
    ("Tabreez", "113646", "Tabriz", "key", "ee/i rule"),
    ("Soumgait", "584923", "Sumgait", "key", "ou/u rule on a GeoNames alternate"),
    ("Langaroud", "125897", "Langarud", "key", "ou/u rule"),
    ("Roudsar", "118191", "Rudsar", "key", "ou/u rule"),
    ("Chalous", "139223", "Chalus", "key", "ou/u rule"),
    ("Gonbad-e Ghabus", "132938", "Gonbad-e Qabus", "key", "gh/q rule on an alternate name of Gonbad-e Kavus"),
    ("Gonbad-e Kavous", "132938", "Gonbad-e Kavus", "key", "ou/u rule"),
    ("Ghaem Shahr", "120695", "Qa'em Shahr", "key", "gh/q rule plus dropped apostrophe"),
    ("Damawand", "138042", "Damavand", "key", "w/v rule"),
    ("Firouzkouh", "134462", "Firuzkuh", "key", "ou/u rule twice"),
    ("Oroumieh", "121801", "Orumieh", "key", "ou/u rule (Urmia)"),
    ("Sowme'eh Sara", "113860", "Şowme‘eh Sarā", "fold", "ASCII apostrophe for the GeoNames left quote, no diacritics"),
    ("Rezvānshahr", "118532", "Reẕvānshahr", "fold", "z without its line-below diacritic"),
    ("Meshgin-Shahr", "124210", "Meshgin Shahr", "fold", "hyphen instead of space"),
    ("Şirvan", "148565", "Şirvan", "fold", "Azerbaijani cedilla (primary name)"),
    ("Sirvan", "148565", "Sirvan", "fold", "cedilla dropped"),
    ("Lənkəran", "147622", "Lənkəran", "fold", "Azerbaijani schwa spelling"),
    ("Lenkoran", "147622", "Lenkoran", "fold", "Russian-era spelling, GeoNames alternate"),
    ("Nakhichevan", "147429", "Nakhichevan’", "fold", "GeoNames has it with a trailing apostrophe only"),
    ("Khowy", "126972", "Khowy", "fold", "Khoy alternate spelling"),
]:
    named(q, pl(gid), used, how, note)
for q, gid, used, how, note in [
    ("Lahidjan", "126015", "Lahijan", "typo", "dj is not a rule: reachable only as 1 edit of Lahijan (7 letters); Gilan's Lahijan by population"),
    ("Gīlān", "IR.GI", "Gīlān", "fold", "province with macrons; the same string is an alternate of Gilan-e Gharb (IR.BK, pop 0) -> province"),
]:
    if gid.startswith("IR."):
        named(q, pr(gid), used, how, note + "; expected = mean of the province's GeoNames places", tol=70, precision="province")
    else:
        named(q, pl(gid), used, how, note)

category("alternate", "GeoNames alternate (historical/other) names")
for q, gid, note in [
    ("Talesh", "113343", "alternate of Hashtpar (county name)"),
    ("Shahsavar", "112656", "old name of Tonekabon; also an alternate of Shahsavaran (IR.MK, pop 864) -> population"),
    ("Pahlavi", "141679", "old name of Bandar-e Anzali"),
    ("Bandar Pahlavi", "141679", "old name of Bandar-e Anzali"),
    ("Asterabad", "132892", "old name of Gorgan"),
    ("Bandar Shah", "141653", "old name of Bandar-e Torkaman"),
    ("Reza'iyeh", "121801", "old name of Urmia, with apostrophe"),
    ("Urmia", "121801", "usual English name; GeoNames primary is Orumiyeh"),
    ("Barfrush", "142363", "old name of Babol"),
    ("Shahi", "120695", "old name of Qaem Shahr (5 letters)"),
    ("Shah Pasand", "110831", "old name of Azadshahr"),
    ("Khiyav", "124210", "old name of Meshgin Shahr"),
    ("Sakht Sar", "117773", "old name of Ramsar"),
    ("Bandar-e Farahnaz", "126952", "old name of Kiashahr"),
    ("Ali Bayramli", "148565", "Soviet name of Shirvan (AZ)"),
    ("Kirovakan", "616530", "Soviet name of Vanadzor"),
    ("Leninakan", "616635", "Soviet name of Gyumri"),
    ("Elizavetpol", "586523", "Tsarist name of Ganja"),
]:
    named(q, pl(gid), q, "fold", note)

category("persian", "Persian script: real forms from alternatenames/provinces, plus Arabic yeh/kaf, ZWNJ and harakat variants")
for q, target, used, note in [
    ("رشت", pl("118743"), "رشت", "Rasht"),
    ("رَشت", pl("118743"), "رشت", "Rasht with fatha (harakat)"),
    ("تبریز", pl("113646"), "تبریز", "Tabriz, Persian yeh"),
    ("تبريز", pl("113646"), "تبريز", "Tabriz, Arabic yeh (both forms are GeoNames alternates)"),
    ("بندر انزلی", pl("141679"), "بندر انزلی", "Bandar-e Anzali"),
    ("بندر انزلي", pl("141679"), "بندر انزلی", "Bandar-e Anzali with Arabic yeh (not in GeoNames)"),
    ("اردبیل", pl("143083"), "اردبیل", "Ardabil city (city/province collision -> city)"),
    ("ساری", pl("116996"), "ساری", "Sari"),
    ("آمل", pl("143534"), "آمل", "Amol"),
    ("گرگان", pl("132892"), "گرگان", "Gorgan"),
    ("گُرگان", pl("132892"), "گرگان", "Gorgan with damma (harakat)"),
    ("تنکابن", pl("112656"), "تنکابن", "Tonekabon, Persian kaf"),
    ("تنكابن", pl("112656"), "تنکابن", "Tonekabon with Arabic kaf (not in GeoNames)"),
    ("رامسر", pl("117773"), "رامسر", "Ramsar"),
    ("چالوس", pl("139223"), "چالوس", "Chalus"),
    ("نوشهر", pl("121959"), "نوشهر", "Nowshahr (the Ardabil village Now Shahr is written نو شهر, with a space)"),
    ("هشتپر", pl("113343"), "هشتپر", "Hashtpar"),
    ("صومعه‌سرا", pl("113860"), "صومعه سرا", "Sowme'eh Sara written with ZWNJ instead of space"),
    ("آستانه‌اشرفیه", pl("142679"), "آستانه اشرفیه", "Astaneh-ye Ashrafiyeh with ZWNJ instead of space"),
    ("پارس‌آباد", pl("121380"), "پارس آباد", "Parsabad with ZWNJ instead of space"),
    ("بابُلسَر", pl("142358"), "بابلسر", "Babolsar with damma and fatha"),
    ("کلاله", pl("129512"), "كلاله", "Kalaleh: GeoNames has only the Arabic-kaf form; query uses Persian kaf"),
    ("لاهیجان", pl("126015"), "لاهیجان", "Lahijan: both Lahijans have this form -> Gilan's by population"),
    ("مراغه", pl("124877"), "مراغه", "Maragheh"),
    ("میانه", pl("124082"), "میانه", "Mianeh"),
    ("باکو", pl("587084"), "باکو", "Baku in Persian"),
    ("ایروان", pl("616052"), "ایروان", "Yerevan in Persian"),
    ("قزوین", pl("119505"), "قزوین", "Qazvin city (city/province collision -> city)"),
]:
    named(q, target, used, "fold", note)

category("typo", "Typos: 1 edit for names of 5-8 letters, up to 2 for 9+ letters (Levenshtein on folded names), none below 5")
for q, gid, used, note in [
    ("Tabriiz", "113646", "Tabriz", "1 insertion (6 letters)"),
    ("Gorgaan", "132892", "Gorgan", "1 insertion (6 letters)"),
    ("Ardabill", "143083", "Ardabil", "1 insertion (7 letters)"),
    ("Chaluss", "139223", "Chalus", "1 insertion (6 letters)"),
    ("Behshar", "140918", "Behshahr", "1 deletion (8 letters)"),
    ("Yerevam", "616052", "Yerevan", "1 substitution (7 letters)"),
    ("Sumgayt", "584923", "Sumgayit", "1 deletion (8 letters)"),
    ("Marageh", "124877", "Maragheh", "1 deletion (8 letters)"),
    ("Khalkal", "128008", "Khalkhal", "1 deletion (8 letters)"),
    ("Vanadzorr", "616530", "Vanadzor", "1 insertion (8 letters)"),
    ("Takestann", "113491", "Takestan", "1 insertion (8 letters)"),
    ("Hashtpaar", "113343", "Hashtpar", "1 insertion (8 letters)"),
    ("Firuzkoh", "134462", "Firuzkuh", "1 deletion (8 letters)"),
    ("Minodaht", "123927", "Minudasht", "2 edits: substitution + deletion (9 letters)"),
    ("Rezvnshar", "118532", "Rezvanshahr", "2 deletions (11 letters)"),
    ("Tonnekabonn", "112656", "Tonekabon", "2 insertions (9 letters)"),
    ("Nakchivam", "147429", "Nakhchivan", "2 edits: deletion + substitution (10 letters)"),
    ("Gonbd-e Kavuss", "132938", "Gonbad-e Kavus", "2 edits: deletion + insertion (12 letters)"),
    ("Bandar-e Turkamann", "141653", "Bandar-e Torkaman", "2 edits: substitution + insertion (15 letters); the word 'Turkamann' alone is 1 edit from 'Turkaman' (Deh-e Torkaman, IR.TH): the longer span must win"),
    ("Astane-ye Ashrafiye", "142679", "Astaneh-ye Ashrafiyeh", "2 deletions (19 letters)"),
    ("Babolsat", "142358", "Babolsar", "1 substitution (8 letters)"),
]:
    named(q, pl(gid), used, "typo", "typo: " + note)


def context_row(query, gid, base, ctx, note, tol=3, precision="place"):
    """A name plus a country/province context; checks the name and the context on the place."""
    p = PLACES[gid]
    if base not in p["names"]:
        ERRORS.append(f"{query!r}: {base!r} is not a name of {describe(pl(gid))}")
    if ctx not in (p["country"], p["province"]):
        ERRORS.append(f"{query!r}: context {ctx} does not contain {describe(pl(gid))}")
    add(query, "match", place_pt(gid), tol, precision, note)


category("sentence", "Place names inside a sentence (other gazetteer names among the words are listed in the note)")
for text, gid, mention, prec, tol, note in [
    ("a location in the city of Rasht was struck", "118743", {"rasht"}, "place", 3, "issue example"),
    ("Witnesses reported two explosions in Tabriz on Tuesday night", "113646", {"tabriz"}, "place", 3, "name mid-sentence"),
    ("Air defence was active over Bandar Anzali early this morning", "141679", {"bandar anzali", "bandar"}, "place", 3, "multi-word name mid-sentence"),
    ("Drone debris fell on a house in Lahijan", "126015", {"lahijan"}, "place", 3, "name at the end; Gilan's Lahijan by population"),
    ("Smoke was seen rising over Gorgan after the blast", "132892", {"gorgan"}, "place", 3, "name mid-sentence"),
    ("Unconfirmed reports of a strike at an industrial site in Qazvin.", "119505", {"qazvin"}, "place", 3, "trailing full stop; city/province collision -> city"),
    ("Sari: residents heard three loud bangs", "116996", {"sari"}, "place", 3, "name first, followed by a colon"),
    ("Explosions reported in Baku, Azerbaijan", "587084", {"baku", "azerbaijan"}, "place", 3, "city with country context"),
    ("Residents of Chalus posted videos of the fire", "139223", {"chalus"}, "place", 3, "name after 'of'"),
    ("انفجار در شهر رشت گزارش شد", "118743", {"رشت"}, "place", 3, "Persian sentence: 'an explosion was reported in the city of Rasht'"),
    ("صدای انفجار در تبریز شنیده شد", "113646", {"تبریز"}, "place", 3, "Persian sentence: 'the sound of an explosion was heard in Tabriz'"),
    ("پهپاد بر فراز ساری دیده شد", "116996", {"ساری"}, "place", 3, "Persian sentence: 'a drone was seen over Sari'"),
]:
    sentence(text, place_pt(gid), tol, prec, note, mention)
pt, tol, note = part_of("IR.GI", "east")
sentence("a location in eastern Gilan was struck", pt, tol, "region", "qualifier inside a sentence; " + note, {"gilan"})
sentence("Footage shows a fire about 10 km north of Rasht", offset(place_pt(G["rasht"]), 0, 10), 7, "",
         "offset inside a sentence; GeoNames Rasht + 10 km at azimuth 0", {"rasht"})

category("direction", "Directional qualifiers: that part of a province/country polygon; precision region")
for q, area, part, extra in [
    ("eastern Gilan", "IR.GI", "east", ""),
    ("western Gilan", "IR.GI", "west", ""),
    ("northern Gilan", "IR.GI", "north", ""),
    ("southern Gilan", "IR.GI", "south", ""),
    ("central Gilan", "IR.GI", "central", ""),
    ("in western Guilan", "IR.GI", "west", "Latin variant of the province, leading 'in'; "),
    ("eastern Mazandaran", "IR.MN", "east", ""),
    ("western Mazandaran", "IR.MN", "west", ""),
    ("central Mazandaran", "IR.MN", "central", ""),
    ("Eastern Golestan", "IR.GO", "east", "capitalised qualifier; "),
    ("western Golestan", "IR.GO", "west", "Golestan is also a Tehran-province town, but a qualifier needs a polygon -> province; "),
    ("northern East Azerbaijan", "IR.EA", "north", "'East Azerbaijan' is the province name, the qualifier is 'northern'; "),
    ("northern Armenia", "AM", "north", "country polygon; "),
    ("southern Armenia", "AM", "south", "country polygon; "),
    ("northern Azerbaijan", "AZ", "north", "country polygon (not the Iranian provinces); "),
    ("شرق گیلان", "IR.GI", "east", "Persian 'east of Gilan' = eastern Gilan; "),
    ("غرب گیلان", "IR.GI", "west", "Persian; "),
    ("غرب گيلان", "IR.GI", "west", "Persian with Arabic yeh; "),
    ("جنوب گیلان", "IR.GI", "south", "Persian; "),
    ("شرق مازندران", "IR.MN", "east", "Persian; "),
    ("غرب مازندران", "IR.MN", "west", "Persian; "),
    ("شرق گلستان", "IR.GO", "east", "Persian; "),
    ("شمال آذربایجان شرقی", "IR.EA", "north", "Persian 'north of East Azerbaijan'; "),
]:
    pt, tol, note = part_of(area, part)
    add(q, "match", pt, tol, "region", extra + note)

category("near", "near / outside / around X; precision near, tolerance 10 km around the GeoNames point")
for q, gid, note in [
    ("near Rasht", "118743", "near"),
    ("outside Tabriz", "113646", "outside"),
    ("around Sari", "116996", "around"),
    ("near Lahijan", "126015", "near + Gilan's Lahijan by population"),
    ("outside Ardabil", "143083", "outside + city/province collision -> city"),
    ("around Gorgan", "132892", "around"),
    ("near Baku", "587084", "near, Azerbaijan"),
    ("Near Chalus", "139223", "capitalised"),
    ("on the outskirts of Yerevan", "616052", "outskirts phrasing"),
    ("نزدیک رشت", "118743", "Persian 'near Rasht'"),
    ("نزدیک تبریز", "113646", "Persian 'near Tabriz'"),
    ("اطراف ساری", "116996", "Persian 'around Sari'"),
]:
    add(q, "match", place_pt(gid), 10, "near", note)

category("offset", "Geodesic offsets 'D km <direction> of X' from the GeoNames point; tolerance 5 km + 20% of D")
for q, gid, az, km, note in [
    ("10 km north of Rasht", "118743", 0, 10, "issue example"),
    ("30km NW of Tabriz", "113646", 315, 30, "compact form"),
    ("25 km southeast of Sari", "116996", 135, 25, "spelled-out intercardinal"),
    ("15 km east of Ardabil", "143083", 90, 15, "city/province collision -> city"),
    ("50 km west of Gorgan", "132892", 270, 50, "long offset"),
    ("20 km south of Zanjan", "111453", 180, 20, "city/province collision -> city"),
    ("5km NE of Bandar Anzali", "141679", 45, 5, "compact form, multi-word place"),
    ("40km SW of Qazvin", "119505", 225, 40, "compact form"),
    ("12 km north-west of Lahijan", "126015", 315, 12, "hyphenated direction; Gilan's Lahijan"),
    ("8 km south of Yerevan", "616052", 180, 8, "Armenia"),
    ("60 km northeast of Tehran", "112931", 45, 60, "long offset"),
    ("15 kilometers west of Chalus", "139223", 270, 15, "'kilometers' spelled out"),
    ("۱۰ کیلومتری شمال رشت", "118743", 0, 10, "Persian, Persian digits: '10 km north of Rasht'"),
    ("۲۰ کیلومتری جنوب تبریز", "113646", 180, 20, "Persian, Persian digits: '20 km south of Tabriz'"),
]:
    add(q, "match", offset(place_pt(gid), az, km), round(5 + 0.2 * km, 1), "",
        f"{note}; GeoNames point + {km} km at azimuth {az}")

category("between", "'between X and Y': geodesic midpoint of the GeoNames points; tolerance 5 km + 10% of the X-Y distance")
for q, a, b, note in [
    ("between Rasht and Lahijan", "118743", "126015", "issue example; Gilan's Lahijan"),
    ("between Tabriz and Ardabil", "113646", "143083", "Ardabil city"),
    ("between Sari and Gorgan", "116996", "132892", "across a province border"),
    ("between Qazvin and Zanjan", "119505", "111453", "city/province collisions -> cities"),
    ("between Baku and Sumgait", "587084", "584923", "Azerbaijan, alternate spelling of Sumgayit"),
    ("بین رشت و لاهیجان", "118743", "126015", "Persian 'between Rasht and Lahijan'"),
]:
    pt, d = midpoint(place_pt(a), place_pt(b))
    add(q, "match", pt, round(5 + 0.1 * d, 1), "", f"{note}; midpoint of a {d:.1f} km geodesic")

category("area", "Province or country alone; province: mean of its GeoNames places, tol 70 km; country: 400 km around its largest city")
for q, pid, used, note in [
    ("Gilan", "IR.GI", "Gilan", "province; 'Gilan' is also an alternate of Gilan-e Gharb (IR.BK, pop 0), which is not in IR.GI -> province"),
    ("Guilan", "IR.GI", "Guilan", "Latin variant"),
    ("Mazanderan", "IR.MN", "Mazanderan", "Latin variant"),
    ("Māzandarān", "IR.MN", "Māzandarān", "macrons"),
    ("Golestan", "IR.GO", "Golestan", "province; also a 240k town in Tehran province (not in IR.GO) -> province"),
    ("Ardebil Province", "IR.AR", "Ardebil Province", "Latin variant; bare 'Ardebil' is the city (see variants)"),
    ("East Azerbaijan", "IR.EA", "East Azerbaijan", "province"),
    ("Alborz", "IR.AL", "Alborz", "province; 'Alborz' is also an alternate of Alvand (IR.QZ) -> province"),
    ("استان گیلان", "IR.GI", "استان گیلان", "Persian 'Gilan province'"),
    ("گيلان", "IR.GI", "گیلان", "Persian with Arabic yeh"),
    ("مازندران", "IR.MN", "مازندران", "Persian"),
    ("گلستان", "IR.GO", "گلستان", "Persian; also the Tehran-province town -> province"),
    ("آذربایجان شرقی", "IR.EA", "آذربایجان شرقی", "Persian 'East Azerbaijan'"),
]:
    (mlat, mlon), n = province_mean(pid)
    named(q, pr(pid), used, "fold", f"{note}; expected = mean of the {n} GeoNames places of {pid}",
          tol=70, precision="province")
for q, cid, city, note in [
    ("Armenia", "AM", "616052", "country; tol 400 km around Yerevan"),
    ("Azerbaijan", "AZ", "587084", "country; tol 400 km around Baku"),
    ("Iran", "IR", "112931", "country; tol 400 km around Tehran"),
    ("ایران", "IR", "112931", "Persian 'Iran'; tol 400 km around Tehran"),
    ("جمهوری آذربایجان", "AZ", "587084", "Persian 'Republic of Azerbaijan'; tol 400 km around Baku"),
]:
    if fold(q) not in {fold(n) for n in area_names(COUNTRIES[cid])}:
        ERRORS.append(f"{q!r} is not a name of country {cid}")
    if PLACES[city]["country"] != cid:
        ERRORS.append(f"{city} is not in {cid}")
    add(q, "match", place_pt(city), 400, "country", note)


def dms(value, pos, neg, sec_mark="″", min_mark="′", sep=""):
    hemi = pos if value >= 0 else neg
    total = round(abs(value) * 3600)
    d, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    text = f"{d}°{sep}{m:02d}{min_mark}{sep}{s:02d}{sec_mark}{sep}{hemi}"
    return text, (d + m / 60 + s / 3600) * (1 if value >= 0 else -1)


category("coords", "Raw coordinates written from GeoNames points (lat first unless hemisphere letters say otherwise); precision exact, tolerance 1 km")
R, T, S, B, Y, A = (place_pt(G[k]) for k in ("rasht", "tabriz", "sari", "baku", "yerevan", "ardabil"))
for q, pt, note in [
    (f"{R[0]}, {R[1]}", R, "decimal with comma (Rasht)"),
    (f"{R[0]} {R[1]}", R, "decimal with space (Rasht)"),
    (f"{T[0]},{T[1]}", T, "decimal, comma without space (Tabriz)"),
    (f"N{R[0]} E{R[1]}", R, "hemisphere letters before"),
    (f"{R[1]}E {R[0]}N", R, "hemisphere letters after, longitude first"),
    (f"{S[0]}N, {S[1]}E", S, "hemisphere letters after, comma (Sari)"),
    (f"N {A[0]}, E {A[1]}", A, "hemisphere letters with spaces (Ardabil)"),
    (f"{Y[0]}, {Y[1]}", Y, "decimal (Yerevan)"),
]:
    add(q, "match", pt, 1, "exact", note)
for src, label, kw, note in [
    (T, "Tabriz", {}, "DMS with ° ′ ″ (Unicode primes)"),
    (T, "Tabriz", {"sec_mark": '"', "min_mark": "'"}, "DMS with ASCII ' and \""),
    (R, "Rasht", {}, "DMS with ° ′ ″, comma between"),
    (B, "Baku", {"sep": " "}, "DMS with spaces between the parts"),
    (S, "Sari", {"sec_mark": '"', "min_mark": "'"}, "DMS with ASCII ' and \""),
]:
    lat_s, lat_v = dms(src[0], "N", "S", **kw)
    lon_s, lon_v = dms(src[1], "E", "W", **kw)
    q = f"{lat_s}, {lon_s}" if label == "Rasht" else f"{lat_s} {lon_s}"
    add(q, "match", (lat_v, lon_v), 1, "exact", f"{note}; GeoNames {label} rounded to whole seconds")

category("ambiguity", "Ambiguous names and the context that resolves them (Astara IR 142676 and AZ 148445 are 2.8 km apart: tol 2 km)")
add("Astara", "ambiguous", place_pt(G["astara_ir"]), 2, "place", "Iranian Astara (Gilan, pop 39065) must be among the candidates")
add("Astara", "ambiguous", place_pt(G["astara_az"]), 2, "place", "Azerbaijani Astara (AZ.AA, pop 15190) must be among the candidates")
add("آستارا", "ambiguous", place_pt(G["astara_ir"]), 2, "place", "Persian form is an alternate of both Astaras")
context_row("Astara, Gilan", G["astara_ir"], "Astara", "IR.GI", "province context", tol=2)
context_row("Astara, Iran", G["astara_ir"], "Astara", "IR", "country context", tol=2)
context_row("Astara, Republic of Azerbaijan", G["astara_az"], "Astara", "AZ", "country context (full name)", tol=2)
context_row("Astara, Azerbaijan", G["astara_az"], "Astara", "AZ", "country context; neither Astara is in East/West Azerbaijan provinces", tol=2)
context_row("آستارا، گیلان", G["astara_ir"], "آستارا", "IR.GI", "Persian, Persian comma", tol=2)
context_row("Lahijan", G["lahijan"], "Lahijan", "IR.GI", "no context: Gilan's Lahijan (pop 101073) over the East Azerbaijan village (pop 5430)")
context_row("Lahijan, East Azerbaijan", G["lahijan_ea"], "Lahijan", "IR.EA", "context picks the small East Azerbaijan Lahijan")
context_row("Karaj", G["karaj"], "Karaj", "IR.AL", "'Karaj' is also an alternate of Qods (IR.TH, pop 309605): Karaj (pop 1448075) wins")
context_row("Bonab", G["bonab"], "Bonab", "IR.EA", "'Bonab' is also an alternate of Benab-e Marand (IR.EA, pop 4311, 120 km away)")
context_row("Rudbar", G["rudbar"], "Rudbar", "IR.GI", "GeoNames' Rudbar (Gilan) is Khalilabad, alt 'Rudbar' (pop 10504); also Rudbar IR.MN (972) and Pa'in-e Bazar-e Rudbar (0)")
context_row("Shahsavar, Mazandaran", G["tonekabon"], "Shahsavar", "IR.MN", "old name shared with Shahsavaran (IR.MK); province context")

category("unknown", "Unknown places: no candidates (checked: more than 2 edits from every folded name and transliteration key)")
for q, note in [
    ("Xyzzyville", "issue example"),
    ("Atlantis", "issue example, mythical"),
    ("Zorbulonia", "made up"),
    ("Flumptonshire", "made up"),
    ("Vexqorath", "made up"),
    ("Kwopptown", "made up"),
    ("Glimmerdale", "made up"),
    ("ناکجاآباد", "Persian 'nowhere-land', made up"),
]:
    unknown(q, note)
unknown_typo("Tabbrizz", "typo beyond the rules: 2 edits of a 6-letter name")
unknown_typo("Amoll", "typo beyond the rules: Amol has 4 letters, no typo allowed")

# ---------------------------------------------------------------- output


def fmt_num(x):
    return f"{x:.5f}".rstrip("0").rstrip(".")


def fmt_tol(t):
    return str(int(t)) if float(t).is_integer() else f"{t:.1f}"


def main():
    for w in WARNINGS:
        print("warning:", w, file=sys.stderr)
    for text, hits in SENTENCE_HITS:
        print(f"sentence {text!r}: other gazetteer names {hits}", file=sys.stderr)
    if ERRORS:
        for e in ERRORS:
            print("ERROR:", e, file=sys.stderr)
        sys.exit(1)
    seen = Counter()
    lines = ["query\texpect\tlat\tlon\ttolerance_km\tprecision\tnote"]
    for key, comment, rows in CATEGORIES:
        lines.append(f"# {key}: {comment}")
        for r in rows:
            seen[(r["query"], r["pt"])] += 1
            if r["expect"] == "unknown":
                lines.append(f"{r['query']}\tunknown\t\t\t\t\t{r['note']}")
            else:
                lat, lon = r["pt"]
                lines.append("\t".join([r["query"], r["expect"], fmt_num(lat), fmt_num(lon),
                                        fmt_tol(r["tol"]), r["precision"], r["note"]]))
    dup = [k for k, v in seen.items() if v > 1]
    assert not dup, dup
    for line in lines:
        assert len(line.split("\t")) == 7 or line.startswith("#"), line
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    total = 0
    print(f"wrote {os.path.relpath(OUT, ROOT)}")
    for key, _, rows in CATEGORIES:
        c = Counter(r["expect"] for r in rows)
        print(f"  {key:10s} {len(rows):3d}  " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())))
        total += len(rows)
    print(f"  {'total':10s} {total:3d}")


if __name__ == "__main__":
    main()
