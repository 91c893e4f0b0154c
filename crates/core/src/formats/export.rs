//! Reports as files GIS software reads: GeoJSON, GeoJSON text sequences (RFC 8142), CSV
//! (RFC 4180, with lon, lat and WKT columns), KML and FlatGeobuf. The tabular formats write the
//! one list of fields of [`crate::formats::fields`]; every format rounds the point as
//! [`crate::formats::coords`] does. A [`ExportWriter`] writes one report at a time, so
//! an export of any size streams in constant memory (FlatGeobuf spools to a temporary file).

use crate::domain::model::Report;
use crate::formats::coords;
use crate::formats::feature::ReportFeature;
use crate::formats::fields::{self, FIELDS, FieldType, FieldValue};
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
    /// FlatGeobuf with its packed Hilbert R-tree, so that GIS software reads a box of a large
    /// file without reading all of it: features are spooled to a temporary file and written
    /// after the header and the index, which need their count and extent.
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

/// A column written after a report's own fields, such as its event's (see
/// [`crate::formats::events::REPORT_EVENT_COLUMNS`]): its name and type.
pub type ExtraColumn = (&'static str, FieldType);

/// Writes reports in one format, one at a time.
pub struct ExportWriter<W: Write> {
    format: Format,
    out: Sink<W>,
    written: usize,
    /// Columns after each report's own fields.
    extra: &'static [ExtraColumn],
    /// A feature unpacked for [`ExportWriter::write_feature_json`].
    unpacked: Vec<u8>,
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
    pub fn new(format: Format, out: W) -> std::io::Result<Self> {
        Self::with_columns(format, out, &[])
    }

    /// Starts an export whose reports carry `extra` columns after their own fields
    /// ([`ExportWriter::write_with`] gives their values).
    pub fn with_columns(
        format: Format,
        mut out: W,
        extra: &'static [ExtraColumn],
    ) -> std::io::Result<Self> {
        let out = match format {
            Format::GeoJson => {
                out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
                Sink::Plain(out)
            }
            Format::GeoJsonSeq => Sink::Plain(out),
            Format::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(
                    FIELDS
                        .iter()
                        .map(|f| f.name)
                        .chain(extra.iter().map(|c| c.0)),
                )
                .map_err(io)?;
                Sink::Csv(Box::new(w))
            }
            Format::Fgb => Sink::Fgb(Box::new(fgb_writer(extra)?), out),
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
            extra,
            unpacked: Vec::new(),
        })
    }

    /// How many reports were written.
    pub fn written(&self) -> usize {
        self.written
    }

    /// Writes one report.
    pub fn write(&mut self, report: &Report) -> std::io::Result<()> {
        self.write_with(report, &[])
    }

    /// Writes one report with the values of the extra columns, in their order (missing ones
    /// are empty).
    pub fn write_with(&mut self, report: &Report, extra: &[FieldValue]) -> std::io::Result<()> {
        let first = self.written == 0;
        let columns = self.extra;
        let extra: Vec<(&str, &FieldValue)> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.0, extra.get(i).unwrap_or(&FieldValue::Null)))
            .collect();
        match (&mut self.out, self.format) {
            (Sink::Csv(w), _) => write_csv_row(w, report, &extra)?,
            (Sink::Fgb(w, _), _) => write_fgb_feature(w, report, &extra)?,
            (Sink::Plain(out), Format::GeoJson) => {
                if !first {
                    out.write_all(b",\n")?;
                }
                write_geojson_feature(out, report, &extra)?;
            }
            (Sink::Plain(out), Format::GeoJsonSeq) => {
                out.write_all(b"\x1e")?;
                write_geojson_feature(out, report, &extra)?;
                out.write_all(b"\n")?;
            }
            (Sink::Plain(out), _) => write_placemark(out, report, &extra)?,
        }
        self.written += 1;
        Ok(())
    }

    /// Writes one report given as its packed GeoJSON Feature
    /// ([`crate::formats::feature::packed_json`], as the feature cache keeps it): the same
    /// bytes [`ExportWriter::write`] writes for it. GeoJSON formats only.
    pub fn write_feature_json(&mut self, packed: &[u8]) -> std::io::Result<()> {
        let first = self.written == 0;
        let feature = &mut self.unpacked;
        feature.clear();
        crate::formats::feature::unpack_feature(feature, packed);
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

/// Extra columns' names and values for one report.
type Extra<'a> = [(&'a str, &'a FieldValue<'a>)];

/// A report's plain GeoJSON Feature, with the extra columns as properties.
fn write_geojson_feature(out: &mut impl Write, r: &Report, extra: &Extra) -> std::io::Result<()> {
    let feature = ReportFeature::plain(r);
    if extra.is_empty() {
        return serde_json::to_writer(out, &feature).map_err(io);
    }
    let mut value = serde_json::to_value(&feature).map_err(io)?;
    if let Some(properties) = value["properties"].as_object_mut() {
        for (name, v) in extra {
            properties.insert(name.to_string(), serde_json::to_value(v).map_err(io)?);
        }
    }
    serde_json::to_writer(out, &value).map_err(io)
}

fn write_csv_row<W: Write>(
    w: &mut csv::Writer<W>,
    r: &Report,
    extra: &Extra,
) -> std::io::Result<()> {
    let values: Vec<FieldValue> = FIELDS.iter().map(|f| (f.read)(r)).collect();
    w.write_record(
        values
            .iter()
            .chain(extra.iter().map(|e| e.1))
            .map(|v| v.to_text().into_owned()),
    )
    .map_err(io)
}

/// A field's FlatGeobuf column type.
fn fgb_type(kind: FieldType) -> flatgeobuf::ColumnType {
    use flatgeobuf::ColumnType as T;
    match kind {
        FieldType::Text => T::String,
        FieldType::Number => T::Double,
        FieldType::Integer => T::Int,
        FieldType::Bool => T::Bool,
        FieldType::Time => T::DateTime,
        FieldType::Json => T::Json,
    }
}

fn fgb_writer(extra: &[ExtraColumn]) -> std::io::Result<flatgeobuf::FgbWriter<'static>> {
    let options = flatgeobuf::FgbWriterOptions {
        write_index: true,
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
    for field in fields::attributes() {
        w.add_column(field.name, fgb_type(field.kind), |_, _| {});
    }
    for (name, kind) in extra {
        w.add_column(name, fgb_type(*kind), |_, _| {});
    }
    Ok(w)
}

fn write_fgb_feature(
    w: &mut flatgeobuf::FgbWriter<'static>,
    r: &Report,
    extra: &Extra,
) -> std::io::Result<()> {
    use geozero::{ColumnValue as V, PropertyProcessor};
    let own: Vec<(&str, FieldValue)> = fields::attributes()
        .map(|f| (f.name, (f.read)(r)))
        .collect();
    let values: Vec<(&str, &FieldValue)> = own
        .iter()
        .map(|(name, value)| (*name, value))
        .chain(extra.iter().copied())
        .collect();
    let [lon, lat] = coords::point(r.location.lon, r.location.lat);
    let point = geo::Geometry::Point(geo::Point::new(lon, lat));
    let mut failed = None;
    w.add_feature_geom(point, |feature| {
        for (i, (name, value)) in values.iter().enumerate() {
            let time;
            let value = match value {
                FieldValue::Null => continue,
                FieldValue::Text(t) => V::String(t),
                FieldValue::Number(n) => V::Double(*n),
                FieldValue::Integer(n) => V::Int(i32::try_from(*n).unwrap_or(i32::MAX)),
                FieldValue::Bool(b) => V::Bool(*b),
                FieldValue::Time(t) => {
                    time = t.to_string();
                    V::DateTime(&time)
                }
                FieldValue::Json(j) => V::Json(j),
            };
            if let Err(e) = feature.property(i, name, &value) {
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

fn write_placemark(out: &mut impl Write, r: &Report, extra: &Extra) -> std::io::Result<()> {
    let [lon, lat] = coords::point(r.location.lon, r.location.lat);
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
    // Every attribute but the description, which the <description> element carries.
    for field in fields::attributes().filter(|f| f.name != "description") {
        write!(
            out,
            "<Data name=\"{}\"><value>{}</value></Data>",
            field.name,
            xml(&(field.read)(r).to_text())
        )?;
    }
    for (name, value) in extra {
        write!(
            out,
            "<Data name=\"{name}\"><value>{}</value></Data>",
            xml(&value.to_text())
        )?;
    }
    writeln!(
        out,
        "</ExtendedData><Point><coordinates>{lon},{lat}</coordinates></Point></Placemark>"
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
