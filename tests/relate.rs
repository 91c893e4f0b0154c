//! Borders, coast and sea against independent references: known places, and distances from a
//! dense scan along each border with GeographicLib.

use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};
use sightmap_core::geospatial::atlas::Atlas;
use sightmap_core::geospatial::region::RegionFiles;
use std::sync::OnceLock;

fn places() -> &'static Atlas {
    static PLACES: OnceLock<Atlas> = OnceLock::new();
    PLACES.get_or_init(|| Atlas::load(RegionFiles::embedded()).unwrap())
}

/// GeoNames coordinates (lon, lat), as in `data/region/places.tsv`.
const PARSABAD: (f64, f64) = (47.9174, 39.6482);
const BILEH_SAVAR: (f64, f64) = (48.35463, 39.37961);
const RASHT: (f64, f64) = (49.58862, 37.27611);
const ASTARA_IR: (f64, f64) = (48.86994, 38.43084);
const TABRIZ: (f64, f64) = (46.2919, 38.08);

/// The exact distance from a point to a set of polylines: every vertex measured with
/// GeographicLib, then the segments near the best vertex sampled every 2 m along their
/// geodesics.
fn brute_force(lines: &[&[[f64; 2]]], lon: f64, lat: f64) -> f64 {
    let g = Geodesic::wgs84();
    let dist = |p: [f64; 2]| -> f64 { g.inverse(lat, lon, p[1], p[0]) };
    let best_vertex = lines
        .iter()
        .flat_map(|l| l.iter())
        .map(|&p| dist(p))
        .fold(f64::INFINITY, f64::min);
    let mut best = best_vertex;
    for line in lines {
        for pair in line.windows(2) {
            let (s12, azi1, _, _): (f64, f64, f64, f64) =
                g.inverse(pair[0][1], pair[0][0], pair[1][1], pair[1][0]);
            // Only a segment with an end within its own length of the best vertex can hold a
            // nearer point.
            if dist(pair[0]).min(dist(pair[1])) > best_vertex + s12 {
                continue;
            }
            let steps = (s12 / 2.0).ceil().max(1.0) as usize;
            for i in 1..steps {
                let (lat2, lon2) =
                    g.direct(pair[0][1], pair[0][0], azi1, s12 * i as f64 / steps as f64);
                best = best.min(dist([lon2, lat2]));
            }
        }
    }
    best
}

#[test]
fn border_towns_lie_within_3_km_of_the_azerbaijan_border() {
    let g = &places().geography;
    for (name, (lon, lat)) in [("Parsabad", PARSABAD), ("Bileh Savar", BILEH_SAVAR)] {
        let b = g.nearest_border(lon, lat, None).unwrap();
        assert_eq!(b.country, "AZ", "{name}");
        assert!(b.distance_m < 3_000.0, "{name}: {} m", b.distance_m);
        assert_eq!(g.relate(lon, lat).country.as_deref(), Some("IR"), "{name}");
    }
}

#[test]
fn rasht_is_about_22_km_from_the_coast_and_astara_about_1_km_from_both() {
    let g = &places().geography;
    let rasht = g.relate(RASHT.0, RASHT.1);
    let coast = rasht.coast.unwrap().distance_m;
    assert!((19_000.0..25_000.0).contains(&coast), "Rasht {coast} m");
    assert_eq!(rasht.province.as_deref(), Some("Gilan"));
    assert!(!rasht.in_sea);
    let astara = g.relate(ASTARA_IR.0, ASTARA_IR.1);
    assert!(astara.coast.unwrap().distance_m < 2_000.0);
    assert_eq!(astara.borders[0].country, "AZ");
    assert!(astara.borders[0].distance_m < 2_000.0);
}

#[test]
fn borders_list_each_neighbour_within_500_km_nearest_first() {
    let r = places().geography.relate(TABRIZ.0, TABRIZ.1);
    let codes: Vec<&str> = r.borders.iter().map(|b| b.country.as_str()).collect();
    // Tabriz: Armenia and Nakhchivan about 85 km north, Turkey and Iraq to the west;
    // Turkmenistan is over 800 km east.
    assert_eq!(codes, ["AM", "AZ", "TR", "IQ"]);
    assert!(
        r.borders
            .windows(2)
            .all(|w| w[0].distance_m <= w[1].distance_m)
    );
    // Bearings point north to the Aras and west to Turkey.
    let bearing = |c: &str| {
        r.borders
            .iter()
            .find(|b| b.country == c)
            .unwrap()
            .bearing_deg
    };
    assert!(bearing("AM") > 315.0 || bearing("AM") < 45.0);
    assert!((225.0..315.0).contains(&bearing("TR")));
}

#[test]
fn distances_match_a_dense_geodesic_scan() {
    let g = &places().geography;
    let neighbour_lines = |code: &str| -> Vec<&[[f64; 2]]> {
        g.borders
            .iter()
            .filter(|b| b.country.as_deref() == Some(code))
            .map(|b| b.coordinates.as_slice())
            .collect()
    };
    let coast: Vec<&[[f64; 2]]> = g.coast.iter().map(|c| c.coordinates.as_slice()).collect();
    for (lon, lat) in [
        PARSABAD,
        BILEH_SAVAR,
        RASHT,
        TABRIZ,
        (45.5, 39.5),
        (48.0, 38.9),
        (51.0, 39.0),
        (53.0, 36.6),
        (49.0, 37.0),
    ] {
        for code in ["AZ", "AM"] {
            let got = g.nearest_border(lon, lat, Some(code)).unwrap();
            let want = brute_force(&neighbour_lines(code), lon, lat);
            assert!(
                (got.distance_m - want).abs() <= (want * 0.005).max(50.0),
                "{code} border from ({lon}, {lat}): {} m, reference {want} m",
                got.distance_m
            );
        }
        let got = g.nearest_coast(lon, lat).unwrap().distance_m;
        let want = brute_force(&coast, lon, lat);
        assert!(
            (got - want).abs() <= (want * 0.005).max(50.0),
            "coast from ({lon}, {lat}): {got} m, reference {want} m"
        );
    }
}

#[test]
fn the_sea_holds_mid_caspian_points_and_no_inland_place() {
    let g = &places().geography;
    for (lon, lat) in [
        (51.0, 39.0),
        (50.5, 41.0),
        (52.0, 37.5),
        (51.5, 42.5),
        (50.0, 38.0),
    ] {
        assert!(g.in_sea(lon, lat), "({lon}, {lat}) should be at sea");
        let r = g.relate(lon, lat);
        assert_eq!(r.water.as_deref(), Some("Caspian Sea"));
    }
    // Every gazetteer place inside a country's land outline and more than 3 km from the coast
    // is not at sea (the land and sea sources disagree by up to a few kilometres on the shore
    // itself; Neft Daşları, a town on piers far offshore, is rightly at sea).
    let region = &places().region;
    let mut inland = 0;
    for p in &region.places {
        let on_land = region.countries.iter().any(|c| c.contains(p.lon, p.lat));
        let coast = g
            .nearest_coast(p.lon, p.lat)
            .map_or(f64::INFINITY, |c| c.distance_m);
        if on_land && coast > 3_000.0 {
            inland += 1;
            assert!(
                !g.in_sea(p.lon, p.lat),
                "{} is inland but in the sea",
                p.name
            );
        }
    }
    assert!(inland > 2_000);
    assert!(
        g.in_sea(50.84003, 40.25213),
        "Neft Daşları stands in the sea"
    );
    // The Anzali lagoon is water, but not the open sea.
    let lagoon = g.relate(49.38, 37.46);
    assert!(!lagoon.in_sea);
    assert_eq!(lagoon.water.as_deref(), Some("Anzali Lagoon"));
}

/// Reports stored before relations were kept (or written without a region) get theirs when
/// the service opens on the store, and keep their versions.
#[tokio::test]
async fn reports_stored_without_a_relation_get_one_at_start_up() {
    use sightmap_core::domain::model::{Origin, Timestamp, input_from_json};
    use sightmap_core::engine::service::ReportService;
    use sightmap_core::engine::store::sqlite::SqliteStore;
    use sightmap_core::engine::store::{ReportReader, ReportWriter};
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    // Parsabad, written with no gazetteer: no relation.
    let input = input_from_json(serde_json::json!({
        "kind": "drone", "description": "drones over the river", "lat": 39.6482, "lon": 47.9174,
        "observed": {"from": "2025-06-13T20:00:00Z"},
        "sources": [{"name": "a resident", "type": "civilian", "stance": "asserts"}],
    }))
    .unwrap();
    let report = input
        .into_report(Origin::Client, None, Timestamp::now(), None)
        .unwrap();
    assert_eq!(report.relation.border_distance_m, None);
    store.insert(vec![report.clone()], "test").await.unwrap();
    let (_, version) = store.get(report.id).await.unwrap().unwrap();

    let gazetteer: Arc<Atlas> = Arc::new(Atlas::load(RegionFiles::embedded()).unwrap());
    let service = ReportService::open(store.clone(), Some(gazetteer))
        .await
        .unwrap();
    let (stored, after) = store.get(report.id).await.unwrap().unwrap();
    assert_eq!(
        after, version,
        "a derived figure does not make a new version"
    );
    assert_eq!(stored.relation.border_country.as_deref(), Some("AZ"));
    assert!(stored.relation.border_distance_m.unwrap() < 3_000.0);
    // And the index filters on it.
    let query =
        sightmap::http::params::report_query(&[("border_within_km".to_string(), "3".to_string())])
            .unwrap();
    assert_eq!(
        service
            .query(
                &query,
                sightmap_core::domain::model::privacy::Viewer::Public
            )
            .await
            .unwrap()
            .matched,
        1
    );
}
