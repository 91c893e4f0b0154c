#!/usr/bin/env python3
"""Reads sightmap's OGC API - Features with OWSLib, as a Python GIS client would.

Usage: owslib_check.py BASE_URL [EXPECTED_REPORTS]

BASE_URL is the API's landing page, e.g. http://127.0.0.1:8080/ogc. EXPECTED_REPORTS, if
given, is how many reports the server must hold. The server needs at least two reports at
different points and times, some of them disputed, for the bbox, datetime and filter checks
to tell a right answer from a wrong one.

Every answer that can be worked out from the full list of reports is compared with a brute
force over that list: bbox, the CQL2 text filter and datetime. The script stops at the first
failed check with a message saying what was wrong, prints one line per check, and ends with
"owslib: N passed, F failed"; it exits 0 only if every check passed.
"""

import signal
import sys
from datetime import datetime, timezone

from owslib.ogcapi.features import Features

#: Seconds for each request. OWSLib 0.35 takes a timeout but does not pass it to `requests`,
#: so WATCHDOG_SECONDS bounds the whole run instead.
REQUEST_TIMEOUT = 30
#: The longest the whole run may take before it fails rather than hang on a silent server.
WATCHDOG_SECONDS = 180
#: Reports per page when the full list is read: small, so that a few dozen reports already
#: take several pages and the paging is checked too.
PAGE = 12
#: Conformance classes a client relies on, by what they are.
REQUIRED_CONFORMANCE = {
    "core": "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "geojson": "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "oas30": "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "filter": "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "features-filter": "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "cql2-text": "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
}
REQUIRED_COLLECTIONS = ["reports", "events", "border", "coast", "sea", "provinces"]
REQUIRED_QUERYABLES = ["status", "kind", "observed_from"]
COLLECTION = "reports"


class CheckFailed(Exception):
    """A check found the server's answer wrong."""


def require(condition, message):
    """Fails the current check with `message` unless `condition` holds."""
    if not condition:
        raise CheckFailed(message)


def parse_time(text):
    """An RFC 3339 timestamp as an aware datetime ("Z" read on any Python 3)."""
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def observed_interval(feature):
    """A report's [observed_from, observed_to]; an instant if it has no end."""
    props = feature["properties"]
    start = parse_time(props["observed_from"])
    end = props.get("observed_to")
    return start, parse_time(end) if end else start


def point(feature):
    """A report's (lon, lat)."""
    geometry = feature.get("geometry") or {}
    require(geometry.get("type") == "Point", f"feature {feature.get('id')} is not a Point: {geometry}")
    lon, lat = geometry["coordinates"][:2]
    return lon, lat


def ids(features):
    """The set of feature ids, failing on duplicates."""
    seen = [f["id"] for f in features]
    require(len(seen) == len(set(seen)), f"duplicate feature ids in one answer: {sorted(seen)}")
    return set(seen)


def fetch_all(api, **query):
    """Every report matching `query`, read page by page with limit and offset.

    Also checks that each page's numberMatched and numberReturned agree with what came back.
    Returns (features, numberMatched).
    """
    features = []
    matched = None
    while True:
        page = api.collection_items(COLLECTION, limit=PAGE, offset=len(features), **query)
        require(page.get("type") == "FeatureCollection", f"items is not a FeatureCollection: {page.get('type')}")
        returned = page.get("features", [])
        require(
            page.get("numberReturned") == len(returned),
            f"numberReturned {page.get('numberReturned')} but {len(returned)} features came back",
        )
        if matched is None:
            matched = page.get("numberMatched")
            require(isinstance(matched, int), f"items has no numberMatched: {page.get('numberMatched')!r}")
        else:
            require(page.get("numberMatched") == matched, "numberMatched changed between pages")
        features.extend(returned)
        if not returned or len(features) >= matched:
            break
    require(len(features) == matched, f"numberMatched {matched} but the pages held {len(features)} features")
    ids(features)
    return features, matched


class Checker:
    """Runs the checks in order against one server, stopping at the first failure."""

    def __init__(self, base_url, expected):
        self.base_url = base_url
        self.expected = expected
        self.passed = 0
        self.api = None
        #: The reports collection's extent bbox, read by `check_collections`.
        self.extent = None
        #: Every report, read without filters by `check_items`.
        self.all = []

    def run(self):
        """Runs every check; the process exit code."""
        checks = [
            ("landing page", self.check_landing),
            ("conformance", self.check_conformance),
            ("collections", self.check_collections),
            ("items", self.check_items),
            ("bbox", self.check_bbox),
            ("CQL2 text filter", self.check_filter),
            ("datetime", self.check_datetime),
            ("one item", self.check_item),
            ("queryables", self.check_queryables),
        ]
        for name, check in checks:
            try:
                summary = check()
            except Exception as error:  # noqa: BLE001 - any error fails the check, with its text
                kind = "" if isinstance(error, CheckFailed) else f"{type(error).__name__}: "
                print(f"FAIL {name}: {kind}{error}")
                print(f"owslib: {self.passed} passed, 1 failed")
                return 1
            self.passed += 1
            print(f"ok   {name}: {summary}")
        print(f"owslib: {self.passed} passed, 0 failed")
        return 0

    def check_landing(self):
        self.api = Features(self.base_url, timeout=REQUEST_TIMEOUT)
        rels = {link.get("rel") for link in self.api.links}
        for rel in ("service-desc", "conformance", "data"):
            require(rel in rels, f"the landing page has no '{rel}' link (it has {sorted(rels)})")
        return f"links {', '.join(sorted(r for r in rels if r))}"

    def check_conformance(self):
        conforms = self.api.conformance().get("conformsTo", [])
        missing = [name for name, uri in REQUIRED_CONFORMANCE.items() if uri not in conforms]
        require(not missing, f"conformsTo lacks {missing}; it has {conforms}")
        return f"{len(conforms)} classes, including {', '.join(REQUIRED_CONFORMANCE)}"

    def check_collections(self):
        listed = self.api.collections().get("collections", [])
        found = [c.get("id") for c in listed]
        missing = [c for c in REQUIRED_COLLECTIONS if c not in found]
        require(not missing, f"collections lack {missing}; they are {found}")
        feature_ids = self.api.feature_collections()
        require(
            all(c in feature_ids for c in REQUIRED_COLLECTIONS),
            f"not every collection has itemType 'feature': {feature_ids}",
        )
        reports = self.api.collection(COLLECTION)
        bboxes = reports.get("extent", {}).get("spatial", {}).get("bbox")
        require(isinstance(bboxes, list) and bboxes, f"reports has no extent.spatial.bbox: {reports.get('extent')}")
        box = bboxes[0]
        require(
            isinstance(box, list) and len(box) in (4, 6) and all(isinstance(v, (int, float)) for v in box),
            f"the reports extent bbox is not 4 or 6 numbers: {box}",
        )
        half = len(box) // 2
        require(
            box[0] <= box[half] and box[1] <= box[half + 1],
            f"the reports extent bbox has its corners swapped: {box}",
        )
        self.extent = box
        return f"{', '.join(found)}; reports extent {box}"

    def check_items(self):
        first = self.api.collection_items(COLLECTION, limit=5)
        matched = first.get("numberMatched")
        if self.expected is not None:
            require(matched == self.expected, f"numberMatched is {matched}, expected {self.expected}")
        require(
            len(first.get("features", [])) == min(5, matched),
            f"limit=5 gave {len(first.get('features', []))} features of {matched}",
        )
        self.all, total = fetch_all(self.api)
        require(total == matched, f"numberMatched {matched} with limit=5 but {total} with limit={PAGE}")
        require(total >= 2, f"the checks need at least 2 reports; the server has {total}")
        # A client zooms to the collection's extent: every report must lie in it.
        half = len(self.extent) // 2
        for feature in self.all:
            lon, lat = point(feature)
            require(
                self.extent[0] <= lon <= self.extent[half] and self.extent[1] <= lat <= self.extent[half + 1],
                f"report {feature['id']} at ({lon}, {lat}) lies outside the reports extent {self.extent}",
            )
        return f"numberMatched {matched}; {total} features read in pages of {PAGE}, all within the extent"

    def check_bbox(self):
        lons = sorted(point(f)[0] for f in self.all)
        lats = sorted(point(f)[1] for f in self.all)
        # The middle of the reports' spread: some inside, some outside.
        box = [
            lons[len(lons) // 4],
            lats[len(lats) // 4],
            lons[(3 * len(lons)) // 4],
            lats[(3 * len(lats)) // 4],
        ]
        inside, matched = fetch_all(self.api, bbox=box)
        for feature in inside:
            lon, lat = point(feature)
            require(
                box[0] <= lon <= box[2] and box[1] <= lat <= box[3],
                f"bbox={box} returned report {feature['id']} at ({lon}, {lat}), outside the box",
            )
        expected = {
            f["id"] for f in self.all
            if box[0] <= point(f)[0] <= box[2] and box[1] <= point(f)[1] <= box[3]
        }
        require(
            matched == len(expected),
            f"bbox={box}: numberMatched {matched}, but {len(expected)} of all reports lie in the box",
        )
        require(ids(inside) == expected, f"bbox={box}: the ids differ from the brute force")
        require(
            0 < matched < len(self.all),
            f"bbox={box} kept {matched} of {len(self.all)}: the data cannot test the bbox",
        )
        return f"bbox={box}: {matched} of {len(self.all)}, every point inside"

    def check_filter(self):
        text = "status = 'disputed'"
        kept, matched = fetch_all(self.api, filter=text, **{"filter-lang": "cql2-text"})
        expected = {f["id"] for f in self.all if f["properties"].get("status") == "disputed"}
        require(expected, "no report is disputed: the data cannot test the filter")
        got = ids(kept)
        require(
            got == expected,
            f"filter={text!r}: {len(got)} reports ({len(got - expected)} not disputed), "
            f"but {len(expected)} are disputed ({len(expected - got)} missing)",
        )
        require(matched == len(expected), f"filter={text!r}: numberMatched {matched}, expected {len(expected)}")
        return f"filter={text!r}: the {matched} disputed reports exactly"

    def check_datetime(self):
        starts = sorted({f["properties"]["observed_from"] for f in self.all}, key=parse_time)
        require(len(starts) >= 2, "every report starts at one instant: the data cannot test datetime")
        start_text, end_text = starts[len(starts) // 3], starts[(2 * len(starts)) // 3]
        if start_text == end_text:
            end_text = starts[-1]
        interval = f"{start_text}/{end_text}"
        start, end = parse_time(start_text), parse_time(end_text)
        kept, matched = fetch_all(self.api, datetime_=interval)
        # Closed intervals: [from, to] meets [start, end] if from <= end and to >= start.
        expected = set()
        for feature in self.all:
            observed_from, observed_to = observed_interval(feature)
            if observed_from <= end and observed_to >= start:
                expected.add(feature["id"])
        got = ids(kept)
        require(
            got == expected,
            f"datetime={interval}: {len(got)} reports, expected {len(expected)}; "
            f"wrongly kept {sorted(got - expected)}, wrongly left out {sorted(expected - got)}",
        )
        require(matched == len(expected), f"datetime={interval}: numberMatched {matched}, expected {len(expected)}")
        require(
            0 < matched < len(self.all),
            f"datetime={interval} kept {matched} of {len(self.all)}: the data cannot test datetime",
        )
        return f"datetime={interval}: {matched} of {len(self.all)}, exactly the overlapping ones"

    def check_item(self):
        for listed in (self.all[0], self.all[-1]):
            one = self.api.collection_item(COLLECTION, listed["id"])
            require(one.get("type") == "Feature", f"item {listed['id']} is not a Feature: {one.get('type')}")
            require(one.get("id") == listed["id"], f"asked for {listed['id']}, got {one.get('id')}")
            require(
                one.get("geometry") == listed.get("geometry"),
                f"item {listed['id']}: geometry {one.get('geometry')} but {listed.get('geometry')} in the list",
            )
            differing = sorted(
                key for key in set(one.get("properties", {})) | set(listed["properties"])
                if one.get("properties", {}).get(key) != listed["properties"].get(key)
            )
            require(not differing, f"item {listed['id']}: properties {differing} differ from the list's")
        return "the first and last reports match the list"

    def check_queryables(self):
        schema = self.api.collection_queryables(COLLECTION)
        properties = schema.get("properties", {})
        missing = [q for q in REQUIRED_QUERYABLES if q not in properties]
        require(not missing, f"queryables lack {missing}; they are {sorted(properties)}")
        return f"{len(properties)} queryables, including {', '.join(REQUIRED_QUERYABLES)}"


def on_watchdog(_signum, _frame):
    """Fails the run when the server stops answering."""
    raise CheckFailed(f"no answer within {WATCHDOG_SECONDS} s (OWSLib sets no request timeout)")


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    expected = int(argv[2]) if len(argv) == 3 else None
    signal.signal(signal.SIGALRM, on_watchdog)
    signal.alarm(WATCHDOG_SECONDS)
    return Checker(argv[1], expected).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
