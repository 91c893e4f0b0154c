//! The catalogue of layers: every layer the API serves and every OGC API collection, with its
//! id, title, description, parameters, what it is drawn from, and whether it is an OGC
//! collection. `/api/layers`, `/api/layers/{id}`, `/ogc/collections*`, both OpenAPI documents
//! and the README's table (checked by `tests/readme.rs`) read it, so a new layer is added here
//! and the compiler names every place that must build it.

/// A layer of the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// Country outlines.
    Countries,
    /// First-level divisions with report counts (a choropleth).
    Provinces,
    /// The sea and its lagoons.
    Sea,
    /// The shoreline.
    Coast,
    /// The home country's land borders.
    Border,
    /// The land near one neighbour's border.
    BorderBuffer,
    /// The land near the coast.
    CoastBuffer,
    /// Square cells with report counts.
    Density,
    /// Each report's uncertainty circle.
    Uncertainty,
    /// A line from each report to its nearest border point.
    Links,
    /// Populated places, for labels.
    Places,
    /// Every report as a compact point.
    Points,
    /// The reports themselves.
    Reports,
    /// Groups of reports that may describe one occurrence (see [`crate::engine::events`]).
    Events,
}

/// What a layer is drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Only the region's data pack: the same for every request with the same parameters.
    Region,
    /// The reports matching the request's filters, as the viewer may see them.
    Reports,
}

/// A layer served as an OGC API – Features collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OgcCollection {
    /// Its title in `/ogc/collections`.
    pub title: &'static str,
    /// Its description there, with the data's origin and licence.
    pub description: &'static str,
}

impl Layer {
    /// Every layer, in the order a map draws them (bottom first).
    pub const ALL: [Layer; 14] = [
        Layer::Countries,
        Layer::Provinces,
        Layer::Sea,
        Layer::Coast,
        Layer::Border,
        Layer::BorderBuffer,
        Layer::CoastBuffer,
        Layer::Density,
        Layer::Uncertainty,
        Layer::Links,
        Layer::Places,
        Layer::Events,
        Layer::Points,
        Layer::Reports,
    ];

    /// The OGC collections, in the order `/ogc/collections` lists them: the reports, then the
    /// region's layers from the top of the map down.
    pub fn ogc_collections() -> impl Iterator<Item = (Layer, OgcCollection)> {
        let reports = std::iter::once(Layer::Reports);
        let others = Self::ALL.into_iter().rev().filter(|l| *l != Layer::Reports);
        reports
            .chain(others)
            .filter_map(|l| l.ogc().map(|c| (l, c)))
    }

    /// The layer with this id.
    pub fn from_id(id: &str) -> Option<Layer> {
        Self::ALL.into_iter().find(|l| l.id() == id)
    }

    /// Its id in `/api/layers/{id}` and `/ogc/collections/{id}`.
    pub fn id(self) -> &'static str {
        match self {
            Layer::Countries => "countries",
            Layer::Provinces => "provinces",
            Layer::Sea => "sea",
            Layer::Coast => "coast",
            Layer::Border => "border",
            Layer::BorderBuffer => "border-buffer",
            Layer::CoastBuffer => "coast-buffer",
            Layer::Density => "density",
            Layer::Uncertainty => "uncertainty",
            Layer::Links => "links",
            Layer::Places => "places",
            Layer::Points => "points",
            Layer::Reports => "reports",
            Layer::Events => "events",
        }
    }

    /// A short title.
    pub fn title(self) -> &'static str {
        match self {
            Layer::Countries => "Countries",
            Layer::Provinces => "Provinces",
            Layer::Sea => "Sea",
            Layer::Coast => "Coast",
            Layer::Border => "Land borders",
            Layer::BorderBuffer => "Border buffer",
            Layer::CoastBuffer => "Coast buffer",
            Layer::Density => "Report density",
            Layer::Uncertainty => "Uncertainty circles",
            Layer::Links => "Links to the border",
            Layer::Places => "Place names",
            Layer::Points => "Report points",
            Layer::Reports => "Reports",
            Layer::Events => "Events (suggested)",
        }
    }

    /// What it shows and which parameters it takes.
    pub fn description(self) -> &'static str {
        match self {
            Layer::Countries => {
                "Country outlines (OpenStreetMap). Filters: country. Takes simplify_m."
            }
            Layer::Provinces => {
                "First-level divisions (Natural Earth) with the number of matching reports in each, by verification status, for a choropleth. Takes the report filters and simplify_m."
            }
            Layer::Sea => {
                "The Caspian Sea and its lagoons (GSHHG); kind is 'lagoon' for lagoons. Takes simplify_m."
            }
            Layer::Coast => {
                "The sea's whole shoreline within the region (GSHHG). Takes simplify_m."
            }
            Layer::Border => {
                "The home country's land borders, country set to the neighbour (OpenStreetMap). Filters: border_country. Takes simplify_m."
            }
            Layer::BorderBuffer => {
                "The land within km (default 20, at most 500) of one neighbour's border (border_country, default the region's focus neighbour), built geodesically. Takes simplify_m."
            }
            Layer::CoastBuffer => {
                "The land within km (default 20, at most 500) of the coast, built geodesically. Takes simplify_m."
            }
            Layer::Density => {
                "Square cells of cell_km (default 25, from 1 to 500) with the number of matching reports, by verification status. Takes the report filters."
            }
            Layer::Uncertainty => {
                "Each matching report's uncertainty circle as a polygon, with its status. Takes the report filters."
            }
            Layer::Links => {
                "A line from each matching report to its nearest border point (of border_country if given), labelled with the distance. Takes the report filters."
            }
            Layer::Places => {
                "Populated places of the gazetteer (GeoNames) with name and population, for labels."
            }
            Layer::Points => {
                "Every matching report as a compact point (id, kind, status, precision, uncertainty, and the observation interval in epoch seconds), for drawing many reports at once; /api/reports/{id} has the rest. Takes the report filters; no paging."
            }
            Layer::Reports => {
                "The reports themselves, as /api/reports answers: the same filters, paging and properties."
            }
            Layer::Events => {
                "Groups of reports that may describe one occurrence, as /api/events answers: footprints with counts of independent origins and a suggested grade (never a verdict). Takes the report filters, grade and min_origins."
            }
        }
    }

    /// The parameters it takes of its own, beside the report filters of a
    /// [`Source::Reports`] layer.
    pub fn params(self) -> &'static [&'static str] {
        match self {
            Layer::Countries => &["simplify_m", "country"],
            Layer::Sea | Layer::Coast | Layer::Provinces => &["simplify_m"],
            Layer::Border => &["simplify_m", "border_country"],
            Layer::BorderBuffer => &["simplify_m", "km", "border_country"],
            Layer::CoastBuffer => &["simplify_m", "km"],
            Layer::Density => &["cell_km"],
            Layer::Events => &["grade", "min_origins"],
            Layer::Uncertainty | Layer::Links | Layer::Places | Layer::Points | Layer::Reports => {
                &[]
            }
        }
    }

    /// What it is drawn from.
    pub fn source(self) -> Source {
        match self {
            Layer::Provinces
            | Layer::Density
            | Layer::Uncertainty
            | Layer::Links
            | Layer::Points
            | Layer::Reports
            | Layer::Events => Source::Reports,
            Layer::Countries
            | Layer::Sea
            | Layer::Coast
            | Layer::Border
            | Layer::BorderBuffer
            | Layer::CoastBuffer
            | Layer::Places => Source::Region,
        }
    }

    /// Whether the request's report filters apply to it.
    pub fn takes_report_filters(self) -> bool {
        self.source() == Source::Reports
    }

    /// Its OGC API collection, if it is one.
    pub fn ogc(self) -> Option<OgcCollection> {
        let (title, description) = match self {
            Layer::Reports => (
                "Sighting reports",
                "Unverified claims of what people saw or heard, each with its sources and their stances, precision and uncertainty, verification status, and distances to the border and the coast.",
            ),
            Layer::Border => (
                "Land borders",
                "The home country's land borders, one line per stretch, country = the neighbour (OpenStreetMap, ODbL).",
            ),
            Layer::Coast => (
                "Coast",
                "The sea's shoreline within the region (GSHHG, LGPL).",
            ),
            Layer::Sea => ("Sea", "The sea and its lagoons (GSHHG, LGPL)."),
            Layer::Provinces => (
                "Provinces",
                "First-level administrative divisions (Natural Earth, public domain).",
            ),
            Layer::Events => (
                "Events (suggested)",
                "Groups of reports that may describe one occurrence: each footprint (where the accounts overlap, if they are accurate) with its counts of reports and of independent origins asserting, denying and investigating, and a suggested grade with its reasons, never a verdict. Takes the report filters, grade and min_origins.",
            ),
            _ => return None,
        };
        Some(OgcCollection { title, description })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_found_again() {
        for layer in Layer::ALL {
            assert_eq!(Layer::from_id(layer.id()), Some(layer));
        }
        let mut ids: Vec<&str> = Layer::ALL.iter().map(|l| l.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Layer::ALL.len());
        assert_eq!(Layer::from_id("nothing"), None);
    }

    #[test]
    fn the_reports_lead_the_ogc_collections() {
        let ids: Vec<&str> = Layer::ogc_collections().map(|(l, _)| l.id()).collect();
        assert_eq!(
            ids,
            ["reports", "events", "border", "coast", "sea", "provinces"]
        );
    }
}
