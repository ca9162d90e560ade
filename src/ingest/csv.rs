//! Generic CSV (`tool = "csv"`): any spreadsheet export with a column mapping.
//!
//! Takes: a CSV file (UTF-8 with or without BOM, UTF-16 with BOM, Windows-1252; `,` `;` tab or
//! `|` delimited, detected or set) and the source's mapping. Gives: one event per data row at
//! the mapped timestamp, with a constant action or one mapped from a status column.
//! Promises: headers match ignoring case, spacing and BOM; a missing mapped column is a file
//! error listing expected and found headers; blank rows are counted as skipped; every other row
//! that cannot be read (bad or missing timestamp, unmapped status, no identifier) is quarantined
//! with its line, column and reason. Cell values never appear in messages.

use crate::config::{ActionSpec, CsvOptions, Field, Target};
use crate::error::Diagnostic;
use crate::schema::{Action, Str, Tool};
use crate::timeutil;

use super::text;
use super::timestamps::{self, Format, InferError};
use super::{Input, Parser, Sink};

pub struct GenericCsv;

/// How many timestamp values inference looks at.
const INFER_SAMPLE: usize = 1000;

/// Column positions resolved against one file's header.
struct Layout {
    /// (target, index, header as written in the file)
    columns: Vec<(Target, usize, String)>,
    action_col: Option<(usize, String)>,
    skip_col: Option<usize>,
}

impl GenericCsv {
    fn options<'a>(input: &'a Input) -> &'a CsvOptions {
        input.source.csv.as_ref().expect("validated: a csv source always has its mapping")
    }

    fn reader(text: &str, delimiter: u8) -> ::csv::Reader<&[u8]> {
        ::csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(true)
            .from_reader(text.as_bytes())
    }

    /// Matches the mapping against the header; errors list expected and found columns.
    fn layout(input: &Input, opts: &CsvOptions, headers: &::csv::StringRecord) -> Result<Layout, Vec<Diagnostic>> {
        let found: Vec<String> = headers.iter().map(norm_header).collect();
        let shown_found = || super::table::describe_header(&headers.iter().map(str::to_string).collect::<Vec<_>>());
        let mut errs = Vec::new();
        let mut find = |want: &str, what: &str| -> Option<usize> {
            let w = norm_header(want);
            let hits: Vec<usize> = found.iter().enumerate().filter(|(_, f)| **f == w).map(|(i, _)| i).collect();
            match hits.len() {
                1 => Some(hits[0]),
                0 => {
                    errs.push(
                        Diagnostic::new(
                            &input.shown,
                            1,
                            0,
                            format!(
                                "the header has no column {want:?} (mapped to {what} in source {:?})",
                                input.source.name
                            ),
                        )
                        .hint(format!(
                            "{}. Fix the header in `columns` of source {:?} in {} (line {})",
                            shown_found(),
                            input.source.name,
                            input.plan.path.display(),
                            input.source.line
                        )),
                    );
                    None
                }
                _ => {
                    errs.push(
                        Diagnostic::new(
                            &input.shown,
                            1,
                            hits[1] + 1,
                            format!("the header has column {want:?} more than once"),
                        )
                        .hint("rename or remove the duplicate column in the export so the mapping is unambiguous"),
                    );
                    None
                }
            }
        };
        let mut columns = Vec::new();
        for (target, header) in &opts.columns {
            let what = match target {
                Target::Field(f) => Field::ALL.iter().find(|(_, x)| x == f).map(|(n, _)| *n).unwrap_or("?").to_string(),
                Target::Attr(i) => input.plan.attributes[*i].clone(),
            };
            if let Some(i) = find(header, &what) {
                columns.push((target.clone(), i, headers.get(i).unwrap_or("").trim().to_string()));
            }
        }
        let action_col = match &opts.action {
            ActionSpec::Mapped { column, .. } => find(column, "action").map(|i| (i, headers.get(i).unwrap_or("").trim().to_string())),
            ActionSpec::Constant(_) => None,
        };
        let skip_col = match &opts.skip_when {
            Some((column, _)) => find(column, "skip_when"),
            None => None,
        };
        if errs.is_empty() {
            Ok(Layout {
                columns,
                action_col,
                skip_col,
            })
        } else {
            Err(errs)
        }
    }
}

/// Header comparison key: no BOM, trimmed, lower case, inner whitespace collapsed.
fn norm_header(h: &str) -> String {
    h.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn cell(rec: &::csv::StringRecord, i: usize) -> Option<&str> {
    rec.get(i).map(str::trim).filter(|v| !v.is_empty())
}

impl Parser for GenericCsv {
    fn tool(&self) -> Tool {
        Tool::Csv
    }

    fn accepts(&self) -> &'static [&'static str] {
        &[
            "columns",
            "action",
            "channel",
            "ts_format",
            "delimiter",
            "encoding",
            "context",
            "name_is_handle",
            "skip_when",
        ]
    }

    fn preflight(&self, input: &Input) -> Vec<Diagnostic> {
        let opts = Self::options(input);
        let (text, _) = text::decode(input.bytes, opts.encoding);
        if text.trim().is_empty() {
            // An empty export is noted by `parse` (no header, no rows), not an error.
            return Vec::new();
        }
        let delimiter = opts.delimiter.unwrap_or_else(|| text::detect_delimiter(&text));
        let mut rdr = Self::reader(&text, delimiter);
        match rdr.headers() {
            Ok(h) => match Self::layout(input, opts, &h.clone()) {
                Ok(_) => Vec::new(),
                Err(errs) => errs,
            },
            Err(e) => vec![
                Diagnostic::new(&input.shown, 1, 0, format!("cannot read the header line: {}", csv_err(&e)))
                    .hint("the first line must hold the column names"),
            ],
        }
    }

    fn parse(&self, input: &Input, sink: &mut Sink) -> Result<(), Diagnostic> {
        let opts = Self::options(input);
        let (text, encoding) = text::decode(input.bytes, opts.encoding);
        let delimiter = opts.delimiter.unwrap_or_else(|| text::detect_delimiter(&text));
        sink.note("encoding", encoding);
        sink.note("delimiter", text::delimiter_name(delimiter));
        if text.trim().is_empty() {
            sink.note("empty", "the file has no header and no rows");
            return Ok(());
        }
        let mut rdr = Self::reader(&text, delimiter);
        let headers = rdr
            .headers()
            .map_err(|e| {
                Diagnostic::new(&input.shown, 1, 0, format!("cannot read the header line: {}", csv_err(&e)))
                    .hint("the first line must hold the column names")
            })?
            .clone();
        let layout = Self::layout(input, opts, &headers).map_err(|mut errs| errs.remove(0))?;

        // Read every record once; inference needs the timestamp column's values.
        let mut lines = text::LineCounter::new(&text);
        let mut records = Vec::new();
        for r in rdr.records() {
            match r {
                Ok(rec) => records.push(rec),
                Err(e) => {
                    let line = e.position().map(|p| lines.line_at(p.byte())).unwrap_or(0);
                    sink.stats.rows += 1;
                    sink.quarantine(
                        line,
                        None,
                        "unreadable_row",
                        format!("the CSV reader could not read this row: {}", csv_err(&e)),
                    );
                }
            }
        }
        // A quote never closed swallows the rest of the file into the last record: set it aside.
        if let Some(rec) = records.last() {
            let at = rec.position().map(|p| p.byte() as usize).unwrap_or(0).min(text.len());
            if text::ends_inside_quotes(&text[at..], delimiter) {
                let line = lines.line_at(at as u64);
                let spans = text[at..].trim_end_matches(['\r', '\n']).matches('\n').count() + 1;
                records.pop();
                sink.stats.rows += 1;
                sink.quarantine(line, None, "unclosed_quote", text::unclosed_quote_detail(spans));
            }
        }
        let ts_idx = layout
            .columns
            .iter()
            .find(|(t, _, _)| *t == Target::Field(Field::Ts))
            .map(|(_, i, h)| (*i, h.clone()));
        let (ts_idx, ts_header) = ts_idx.expect("validated: a csv mapping always has ts");
        let format = match &opts.ts_format {
            Some(f) => Format::from_chrono(f).expect("validated"),
            None => {
                let samples: Vec<&str> = records.iter().filter_map(|r| cell(r, ts_idx)).take(INFER_SAMPLE).collect();
                if samples.is_empty() {
                    // nothing to infer from: every row will be quarantined as missing a timestamp
                    Format::Rfc3339
                } else {
                    match timestamps::infer(&samples, input.source.timezone) {
                        Ok(f) => f,
                        Err(InferError::Ambiguous(fs)) => {
                            return Err(Diagnostic::new(
                                &input.shown,
                                2,
                                ts_idx + 1,
                                format!(
                                    "the timestamps in column {ts_header:?} fit several formats that disagree ({})",
                                    fs.join(" or ")
                                ),
                            )
                            .hint(format!(
                                "set ts_format in source {:?}, e.g. ts_format = {:?}",
                                input.source.name, fs[0]
                            )));
                        }
                        Err(InferError::NoFormat) => {
                            return Err(Diagnostic::new(
                                &input.shown,
                                2,
                                ts_idx + 1,
                                format!("no known timestamp format fits the values in column {ts_header:?}"),
                            )
                            .hint(format!(
                                "set ts_format in source {:?} to a chrono pattern such as \"%d/%m/%Y %H:%M\"",
                                input.source.name
                            )));
                        }
                    }
                }
            }
        };
        sink.note("ts_format", format.describe());
        let precision = format.precision();
        let n_attrs = input.plan.attributes.len();
        let tz = input.source.timezone;

        for rec in &records {
            let line = rec.position().map(|p| lines.line_at(p.byte())).unwrap_or(0);
            sink.stats.rows += 1;
            if rec.iter().all(|v| v.trim().is_empty()) {
                sink.stats.skipped += 1;
                continue;
            }
            if let (Some(i), Some((_, values))) = (layout.skip_col, &opts.skip_when) {
                if values.contains(&cell(rec, i).unwrap_or("").to_lowercase()) {
                    sink.stats.skipped += 1;
                    continue;
                }
            }
            let action = match &opts.action {
                ActionSpec::Constant(a) => *a,
                ActionSpec::Mapped { map, skip, .. } => {
                    let (i, h) = layout.action_col.as_ref().expect("layout resolves the action column");
                    let v = cell(rec, *i).unwrap_or("").to_lowercase();
                    if skip.contains(&v) {
                        sink.stats.skipped += 1;
                        continue;
                    }
                    match map.iter().find(|(k, _)| *k == v) {
                        Some((_, a)) => *a,
                        None => {
                            let known: Vec<&str> = map.iter().map(|(k, _)| k.as_str()).collect();
                            sink.quarantine(
                                line,
                                Some(h),
                                "unmapped_action",
                                format!("the value in column {h:?} is not in the action map (mapped: {})", known.join(", ")),
                            );
                            continue;
                        }
                    }
                }
            };
            let ts = match cell(rec, ts_idx) {
                None => {
                    sink.quarantine(
                        line,
                        Some(&ts_header),
                        "missing_timestamp",
                        format!("column {ts_header:?} is empty"),
                    );
                    continue;
                }
                Some(v) => match format.parse(v, tz) {
                    Some(ts) => ts,
                    None => {
                        sink.quarantine(
                            line,
                            Some(&ts_header),
                            "bad_timestamp",
                            format!("the value in column {ts_header:?} does not match the format {}", format.describe()),
                        );
                        continue;
                    }
                },
            };
            let mut e = sink.event(line, 0, ts, precision, action, n_attrs);
            if let Some(c) = opts.channel {
                e.channel = c;
            }
            e.context = opts.context.as_deref().map(Str::new);
            let mut first = None;
            let mut last = None;
            for (target, i, _) in &layout.columns {
                let v = cell(rec, *i).map(Str::new);
                match target {
                    Target::Field(Field::Ts) => {}
                    Target::Field(Field::Email) => e.email = v,
                    Target::Field(Field::Phone) => e.phone = v,
                    Target::Field(Field::Name) => e.name = v,
                    Target::Field(Field::FirstName) => first = v,
                    Target::Field(Field::LastName) => last = v,
                    Target::Field(Field::ExternalId) => e.external_id = v,
                    Target::Field(Field::Context) => e.context = v.or(e.context.take()),
                    Target::Field(Field::Occasion) => e.occasion = v,
                    Target::Field(Field::UtmSource) => e.utm_source = v,
                    Target::Field(Field::UtmMedium) => e.utm_medium = v,
                    Target::Field(Field::UtmCampaign) => e.utm_campaign = v,
                    Target::Attr(a) => e.attrs[*a] = v,
                }
            }
            if e.name.is_none() {
                e.name = match (first, last) {
                    (Some(f), Some(l)) => Some(Str::new(&format!("{f} {l}"))),
                    (Some(f), None) => Some(f),
                    (None, Some(l)) => Some(l),
                    (None, None) => None,
                };
            }
            if e.email.is_none() && e.phone.is_none() && e.name.is_none() && e.external_id.is_none() {
                sink.quarantine(
                    line,
                    None,
                    "no_identifier",
                    "the row has no email, phone, name or id: it cannot be attributed to anyone",
                );
                continue;
            }
            if e.occasion.is_none() && is_occasion_action(action) {
                // Without a tool id, an occasion is the context (or source) on a local date.
                let date = timeutil::local_date(ts, input.plan.timezone);
                let ctx = e.context.map_or(input.source.name.as_str(), |c| c.as_str());
                e.occasion = Some(Str::new(&format!("{ctx} {date}")));
            }
            sink.push(e);
        }
        Ok(())
    }
}

/// Actions that happen at a meeting or event instance, and so have an occasion.
pub fn is_occasion_action(a: Action) -> bool {
    matches!(
        a,
        Action::Rsvp | Action::RsvpConfirmed | Action::RsvpCancelled | Action::Declined | Action::Attended | Action::NoShow
    )
}

fn csv_err(e: &::csv::Error) -> String {
    match e.kind() {
        ::csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".to_string(),
        ::csv::ErrorKind::UnequalLengths { expected_len, len, .. } => format!("expected {expected_len} fields, found {len}"),
        ::csv::ErrorKind::Io(io) => io.to_string(),
        _ => "malformed CSV".to_string(),
    }
}
