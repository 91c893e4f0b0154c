//! A qualifier applied to a reading: "eastern Gilan", "near Rasht", "10 km north of Rasht",
//! each with the point, precision and uncertainty it means.

use super::*;

impl Geocoder {
    /// Applies a qualifier to a reading.
    pub(super) fn qualify(
        &self,
        b: &Base,
        q: Qualifier,
        matched: &str,
        confidence: f64,
    ) -> Candidate {
        let area = self.area(b.target);
        let (name, lon, lat, precision, uncertainty_m) = match q {
            Qualifier::None => (b.name.clone(), b.lon, b.lat, b.precision, b.radius_m),
            Qualifier::Near => (
                format!("near {}", b.name),
                b.lon,
                b.lat,
                if b.precision == Precision::Place {
                    Precision::Near
                } else {
                    b.precision
                },
                b.radius_m + NEAR_EXTRA_M,
            ),
            Qualifier::Part(direction) => {
                let label = part_label(direction, &b.name);
                match area {
                    Some(area) => {
                        let part = area.part(direction);
                        (label, part.lon, part.lat, Precision::Region, part.radius_m)
                    }
                    None => {
                        let (lon, lat) = match direction {
                            Some(d) => geodesy::destination(
                                b.lon,
                                b.lat,
                                d.bearing_deg(),
                                b.radius_m / 2.0,
                            ),
                            None => (b.lon, b.lat),
                        };
                        (label, lon, lat, Precision::Place, b.radius_m)
                    }
                }
            }
            Qualifier::Offset(distance, direction) => match (distance, area) {
                (None, Some(area)) => {
                    let part = area.part(Some(direction));
                    let label = part_label(Some(direction), &b.name);
                    (label, part.lon, part.lat, Precision::Region, part.radius_m)
                }
                _ => {
                    let d = distance.unwrap_or(b.radius_m + BESIDE_M);
                    let (lon, lat) = geodesy::destination(b.lon, b.lat, direction.bearing_deg(), d);
                    let label = match distance {
                        Some(d) => {
                            format!("{} km {} of {}", format_km(d), direction.as_str(), b.name)
                        }
                        None => format!("{} of {}", direction.as_str(), b.name),
                    };
                    let precision = if area.is_some() {
                        Precision::Region
                    } else {
                        Precision::Near
                    };
                    (label, lon, lat, precision, b.radius_m + OFFSET_SPREAD * d)
                }
            },
        };
        let (province, country) = if q == Qualifier::None || q == Qualifier::Near {
            let province = b
                .province_id
                .as_deref()
                .and_then(|id| self.region.province(id))
                .map(|p| p.name.clone());
            (province, Some(b.country.clone()))
        } else {
            let (province, country) = self.province_and_country(lon, lat);
            let province = match b.target {
                Target::Country(_) => None,
                _ => province,
            };
            (province, country.or(Some(b.country.clone())))
        };
        Candidate {
            name,
            lon,
            lat,
            precision,
            uncertainty_m,
            confidence: (confidence * 1000.0).round() / 1000.0,
            province: if matches!(b.target, Target::Country(_)) && q == Qualifier::None {
                None
            } else {
                province
            },
            country,
            matched: matched.to_string(),
            source_id: b.source_id.clone(),
        }
    }
}

fn part_label(direction: Option<Direction>, name: &str) -> String {
    match direction {
        Some(d) => format!("{}ern {name}", d.as_str()),
        None => format!("central {name}"),
    }
}

fn format_km(metres: f64) -> String {
    let km = metres / 1000.0;
    if (km - km.round()).abs() < 1e-9 {
        format!("{}", km.round())
    } else {
        format!("{km:.1}")
    }
}
