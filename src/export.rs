//! Reports as files GIS software reads: GeoJSON, GeoJSON text sequences (RFC 8142), CSV
//! (RFC 4180, with lon, lat and WKT columns) and KML. A [`ExportWriter`] writes one report at a
//! time, so an export of any size streams in constant memory.

use crate::feature::ReportFeature;
use crate::model::Report;
use std::io::Write;

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A GeoJSON FeatureCollection.
    GeoJson,
    /// GeoJSON text sequence (RFC 8142): one Feature per record separator and line.
    GeoJsonSeq,
    /// CSV with `lon`, `lat` and a `wkt` column; sources flattened.
    Csv,
    /// KML 2.2 placemarks with the fields as extended data.
    Kml,
    /// FlatGeobuf (no spatial index): features are spooled to a temporary file and written
    /// after the header, which needs their count and extent.
    Fgb,
}

impl Format {
    /// Every format's name, as `format=` takes it.
    pub const NAMES: &'static [&'static str] = &["geojson", "geojsonseq", "csv", "kml", "fgb"];

    /// Reads a format's name.
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "geojson" | "json" => Some(Self::GeoJson),
            "geojsonseq" | "geojsons" | "geojsonl" => Some(Self::GeoJsonSeq),
            "csv" => Some(Self::Csv),
            "kml" => Some(Self::Kml),
            "fgb" | "flatgeobuf" => Some(Self::Fgb),
            _ => None,
        }
    }

    /// The media type to send.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::GeoJson => "application/geo+json",
            Self::GeoJsonSeq => "application/geo+json-seq",
            Self::Csv => "text/csv; charset=utf-8",
            Self::Kml => "application/vnd.google-earth.kml+xml",
            Self::Fgb => "application/flatgeobuf",
        }
    }

    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::GeoJson => "geojson",
            Self::GeoJsonSeq => "geojsons",
            Self::Csv => "csv",
            Self::Kml => "kml",
            Self::Fgb => "fgb",
        }
    }
}

/// The CSV header: flat columns a spreadsheet or GIS can use as they are.
const CSV_COLUMNS: &[&str] = &[
    "id",
    "kind",
    "status",
    "description",
    "location_text",
    "lon",
    "lat",
    "wkt",
    "precision",
    "uncertainty_m",
    "location_ambiguous",
    "public_precision",
    "location_coarsened",
    "province",
    "country",
    "border_distance_km",
    "border_country",
    "coast_distance_km",
    "in_sea",
    "observed_from",
    "observed_to",
    "source_count",
    "source_names",
    "stances",
    "sources_json",
    "tags",
    "reported_at",
    "updated_at",
];

/// Writes reports in one format, one at a time.
pub struct ExportWriter<W: Write> {
    format: Format,
    out: Sink<W>,
    written: usize,
}

/// Where bytes go: straight out, or through a CSV writer that owns the output.
enum Sink<W: Write> {
    Plain(W),
    Csv(Box<csv::Writer<W>>),
    Fgb(Box<flatgeobuf::FgbWriter<'static>>, W),
}

fn io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

impl<W: Write> ExportWriter<W> {
    /// Starts an export: writes what comes before the first report.
    pub fn new(format: Format, mut out: W) -> std::io::Result<Self> {
        let out = match format {
            Format::GeoJson => {
                out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
                Sink::Plain(out)
            }
            Format::GeoJsonSeq => Sink::Plain(out),
            Format::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(CSV_COLUMNS).map_err(io)?;
                Sink::Csv(Box::new(w))
            }
            Format::Fgb => Sink::Fgb(Box::new(fgb_writer()?), out),
            Format::Kml => {
                out.write_all(
                    b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n<name>sightmap reports</name>\n",
                )?;
                Sink::Plain(out)
            }
        };
        Ok(Self {
            format,
            out,
            written: 0,
        })
    }

    /// How many reports were written.
    pub fn written(&self) -> usize {
        self.written
    }

    /// Writes one report.
    pub fn write(&mut self, report: &Report) -> std::io::Result<()> {
        let first = self.written == 0;
        match (&mut self.out, self.format) {
            (Sink::Csv(w), _) => write_csv_row(w, report)?,
            (Sink::Fgb(w, _), _) => write_fgb_feature(w, report)?,
            (Sink::Plain(out), Format::GeoJson) => {
                if !first {
                    out.write_all(b",\n")?;
                }
                serde_json::to_writer(&mut *out, &ReportFeature::plain(report)).map_err(io)?;
            }
            (Sink::Plain(out), Format::GeoJsonSeq) => {
                out.write_all(b"\x1e")?;
                serde_json::to_writer(&mut *out, &ReportFeature::plain(report)).map_err(io)?;
                out.write_all(b"\n")?;
            }
            (Sink::Plain(out), _) => write_placemark(out, report)?,
        }
        self.written += 1;
        Ok(())
    }

    /// Writes one report given as its plain GeoJSON Feature ([`crate::feature::plain_json`]):
    /// the same bytes [`ExportWriter::write`] writes for it. GeoJSON formats only.
    pub fn write_feature_json(&mut self, feature: &[u8]) -> std::io::Result<()> {
        let first = self.written == 0;
        match (&mut self.out, self.format) {
            (Sink::Plain(out), Format::GeoJson) => {
                if !first {
                    out.write_all(b",\n")?;
                }
                out.write_all(feature)?;
            }
            (Sink::Plain(out), Format::GeoJsonSeq) => {
                out.write_all(b"\x1e")?;
                out.write_all(feature)?;
                out.write_all(b"\n")?;
            }
            _ => {
                return Err(std::io::Error::other(
                    "only GeoJSON exports take features as JSON",
                ));
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Pushes buffered bytes to the output.
    pub fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.out {
            Sink::Csv(w) => w.flush(),
            Sink::Plain(out) | Sink::Fgb(_, out) => out.flush(),
        }
    }

    /// Writes what comes after the last report and returns the output.
    pub fn finish(self) -> std::io::Result<W> {
        let mut out = match self.out {
            Sink::Csv(w) => w.into_inner().map_err(|e| io(e.error()))?,
            Sink::Plain(out) => out,
            Sink::Fgb(w, mut out) => {
                w.write(&mut out).map_err(io)?;
                out
            }
        };
        match self.format {
            Format::GeoJson => out.write_all(b"\n]}\n")?,
            Format::Kml => out.write_all(b"</Document>\n</kml>\n")?,
            Format::GeoJsonSeq | Format::Csv | Format::Fgb => {}
        }
        out.flush()?;
        Ok(out)
    }
}

fn opt_km(m: Option<f64>) -> String {
    m.map(|m| format!("{:.3}", m / 1000.0)).unwrap_or_default()
}

fn write_csv_row<W: Write>(w: &mut csv::Writer<W>, r: &Report) -> std::io::Result<()> {
    let l = &r.location;
    let names: Vec<&str> = r.sources.iter().map(|s| s.name.as_str()).collect();
    let stances: Vec<&str> = r.sources.iter().map(|s| s.stance.as_str()).collect();
    let sources_json = serde_json::to_string(&r.sources).map_err(io)?;
    let row: [String; 28] = [
        r.id.to_string(),
        r.kind.as_str().into(),
        r.status.as_str().into(),
        r.description.clone(),
        l.text.clone().unwrap_or_default(),
        l.lon.to_string(),
        l.lat.to_string(),
        format!("POINT ({} {})", l.lon, l.lat),
        l.precision.as_str().into(),
        l.uncertainty_m.to_string(),
        l.ambiguous.to_string(),
        l.public_precision
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        l.coarsened.to_string(),
        l.province.clone().unwrap_or_default(),
        l.country.clone().unwrap_or_default(),
        opt_km(r.relation.border_distance_m),
        r.relation.border_country.clone().unwrap_or_default(),
        opt_km(r.relation.coast_distance_m),
        r.relation.in_sea.to_string(),
        r.observed.from.to_string(),
        r.observed.to.to_string(),
        r.sources.len().to_string(),
        names.join("; "),
        stances.join("; "),
        sources_json,
        r.tags.join("; "),
        r.reported_at.to_string(),
        r.updated_at.to_string(),
    ];
    w.write_record(&row).map_err(io)
}

/// FlatGeobuf columns: the CSV's, typed, without the coordinate columns.
const FGB_COLUMNS: &[(&str, flatgeobuf::ColumnType)] = {
    use flatgeobuf::ColumnType as T;
    &[
        ("id", T::String),
        ("kind", T::String),
        ("status", T::String),
        ("description", T::String),
        ("location_text", T::String),
        ("precision", T::String),
        ("uncertainty_m", T::Double),
        ("location_ambiguous", T::Bool),
        ("public_precision", T::String),
        ("location_coarsened", T::Bool),
        ("province", T::String),
        ("country", T::String),
        ("border_distance_km", T::Double),
        ("border_country", T::String),
        ("coast_distance_km", T::Double),
        ("in_sea", T::Bool),
        ("observed_from", T::DateTime),
        ("observed_to", T::DateTime),
        ("source_count", T::Int),
        ("source_names", T::String),
        ("stances", T::String),
        ("sources_json", T::Json),
        ("tags", T::String),
        ("reported_at", T::DateTime),
        ("updated_at", T::DateTime),
    ]
};

fn fgb_writer() -> std::io::Result<flatgeobuf::FgbWriter<'static>> {
    let options = flatgeobuf::FgbWriterOptions {
        write_index: false,
        crs: flatgeobuf::FgbCrs {
            code: 4326,
            ..Default::default()
        },
        title: Some("sightmap reports"),
        ..Default::default()
    };
    let mut w = flatgeobuf::FgbWriter::create_with_options(
        "reports",
        flatgeobuf::GeometryType::Point,
        options,
    )
    .map_err(io)?;
    for (name, kind) in FGB_COLUMNS {
        w.add_column(name, *kind, |_, _| {});
    }
    Ok(w)
}

fn write_fgb_feature(w: &mut flatgeobuf::FgbWriter<'static>, r: &Report) -> std::io::Result<()> {
    use geozero::{ColumnValue as V, PropertyProcessor};
    let l = &r.location;
    let id = r.id.to_string();
    let times =
        [r.observed.from, r.observed.to, r.reported_at, r.updated_at].map(|t| t.to_string());
    let names: Vec<&str> = r.sources.iter().map(|s| s.name.as_str()).collect();
    let stances: Vec<&str> = r.sources.iter().map(|s| s.stance.as_str()).collect();
    let (names, stances) = (names.join("; "), stances.join("; "));
    let sources_json = serde_json::to_string(&r.sources).map_err(io)?;
    let tags = r.tags.join("; ");
    let km = |m: Option<f64>| m.map(|m| V::Double(m / 1000.0));
    let values: [Option<V>; 25] = [
        Some(V::String(&id)),
        Some(V::String(r.kind.as_str())),
        Some(V::String(r.status.as_str())),
        Some(V::String(&r.description)),
        l.text.as_deref().map(V::String),
        Some(V::String(l.precision.as_str())),
        Some(V::Double(l.uncertainty_m)),
        Some(V::Bool(l.ambiguous)),
        l.public_precision.map(|p| V::String(p.as_str())),
        Some(V::Bool(l.coarsened)),
        l.province.as_deref().map(V::String),
        l.country.as_deref().map(V::String),
        km(r.relation.border_distance_m),
        r.relation.border_country.as_deref().map(V::String),
        km(r.relation.coast_distance_m),
        Some(V::Bool(r.relation.in_sea)),
        Some(V::DateTime(&times[0])),
        Some(V::DateTime(&times[1])),
        Some(V::Int(r.sources.len() as i32)),
        Some(V::String(&names)),
        Some(V::String(&stances)),
        Some(V::Json(&sources_json)),
        Some(V::String(&tags)),
        Some(V::DateTime(&times[2])),
        Some(V::DateTime(&times[3])),
    ];
    let point = geo::Geometry::Point(geo::Point::new(l.lon, l.lat));
    let mut failed = None;
    w.add_feature_geom(point, |feature| {
        for (i, value) in values.iter().enumerate() {
            if let Some(v) = value
                && let Err(e) = feature.property(i, FGB_COLUMNS[i].0, v)
            {
                failed = Some(e);
            }
        }
    })
    .map_err(io)?;
    match failed {
        Some(e) => Err(io(e)),
        None => Ok(()),
    }
}

/// Escapes text for XML character data and attribute values.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters other than tab and newlines are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

fn write_placemark(out: &mut impl Write, r: &Report) -> std::io::Result<()> {
    let l = &r.location;
    let mut data = vec![
        ("id", r.id.to_string()),
        ("kind", r.kind.as_str().to_string()),
        ("status", r.status.as_str().to_string()),
        ("precision", l.precision.as_str().to_string()),
        ("uncertainty_m", l.uncertainty_m.to_string()),
        (
            "public_precision",
            l.public_precision
                .map(|p| p.as_str().to_string())
                .unwrap_or_default(),
        ),
        ("location_coarsened", l.coarsened.to_string()),
        ("location_text", l.text.clone().unwrap_or_default()),
        ("province", l.province.clone().unwrap_or_default()),
        ("country", l.country.clone().unwrap_or_default()),
        ("border_distance_km", opt_km(r.relation.border_distance_m)),
        (
            "border_country",
            r.relation.border_country.clone().unwrap_or_default(),
        ),
        ("coast_distance_km", opt_km(r.relation.coast_distance_m)),
        ("observed_from", r.observed.from.to_string()),
        ("observed_to", r.observed.to.to_string()),
        ("source_count", r.sources.len().to_string()),
    ];
    let sources: Vec<String> = r
        .sources
        .iter()
        .map(|s| {
            format!(
                "{} ({}, {})",
                s.name,
                s.source_type.as_str(),
                s.stance.as_str()
            )
        })
        .collect();
    data.push(("sources", sources.join("; ")));
    write!(
        out,
        "<Placemark id=\"r{}\"><name>{} ({})</name><description>{}</description>\
         <TimeSpan><begin>{}</begin><end>{}</end></TimeSpan><ExtendedData>",
        r.id.0.simple(),
        xml(r.kind.as_str()),
        xml(r.status.as_str()),
        xml(&r.description),
        r.observed.from,
        r.observed.to,
    )?;
    for (name, value) in data {
        write!(
            out,
            "<Data name=\"{name}\"><value>{}</value></Data>",
            xml(&value)
        )?;
    }
    writeln!(
        out,
        "</ExtendedData><Point><coordinates>{},{}</coordinates></Point></Placemark>",
        l.lon, l.lat
    )
}

/// A byte buffer that an [`ExportWriter`] writes into and its owner drains between reports,
/// for streaming over HTTP.
#[derive(Debug, Clone, Default)]
pub struct SharedBuffer(std::sync::Arc<parking_lot::Mutex<Vec<u8>>>);

impl SharedBuffer {
    /// Takes what was written so far.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock())
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
