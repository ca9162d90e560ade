//! Reading spreadsheet-style exports for tool parsers: decode, split, find columns by name.
//!
//! Takes: a file's bytes. Gives: a [`Table`] — the header, the records with the 1-based line
//! each starts on, and tolerant column lookup (case, spacing, BOM, `contact[cell]` vs `cell`
//! ignored; several accepted names per column). Promises: the same decoding and delimiter rules
//! as the generic csv tool; a missing required column is a [`Diagnostic`] listing the expected
//! names and the columns found; cell values never appear in messages.

use crate::error::Diagnostic;

use super::text;

pub struct Table {
    pub headers: Vec<String>,
    /// Normalised header keys (see [`header_key`]).
    keys: Vec<String>,
    /// (line where the record starts, record)
    pub rows: Vec<(u64, csv::StringRecord)>,
    /// Records the CSV reader could not split: (line, reason).
    pub broken: Vec<(u64, String)>,
    pub encoding: &'static str,
    pub delimiter: u8,
}

/// Header comparison key: BOM and spaces trimmed, lower case, `_`/`-`/spaces collapsed, and a
/// bracketed suffix used as the name (`contact[cell]` → `cell`, `question[Age]` kept whole).
pub fn header_key(h: &str) -> String {
    let t = h
        .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '"')
        .to_lowercase();
    // Spoke's pre-2021 headers: `contact[cell]` is the contact's cell; `texter[cell]` stays
    // `texter cell` so it can never be mistaken for the contact's.
    let t = match (t.find('['), t.ends_with(']')) {
        (Some(i), true) if &t[..i] == "contact" => t[i + 1..t.len() - 1].to_string(),
        (Some(i), true) if !t.starts_with("question[") => format!("{} {}", &t[..i], &t[i + 1..t.len() - 1]),
        _ => t,
    };
    t.split(|c: char| c.is_whitespace() || c == '_' || c == '-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Table {
    /// Reads a whole CSV. `skip_lines` drops leading lines (a preamble) before the header.
    pub fn read(bytes: &[u8], skip_lines: usize) -> Table {
        let (full, encoding) = text::decode(bytes, None);
        // Keep byte offsets relative to the full text so line numbers stay physical.
        let mut start = 0usize;
        for _ in 0..skip_lines {
            match full[start..].find('\n') {
                Some(i) => start += i + 1,
                None => start = full.len(),
            }
        }
        let body = &full[start..];
        let delimiter = text::detect_delimiter(body);
        let mut lines = text::LineCounter::new(&full);
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(true)
            .from_reader(body.as_bytes());
        let headers: Vec<String> = rdr
            .headers()
            .map(|h| {
                h.iter()
                    .map(|x| x.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}').to_string())
                    .collect()
            })
            .unwrap_or_default();
        let keys = headers.iter().map(|h| header_key(h)).collect();
        let mut rows = Vec::new();
        let mut broken = Vec::new();
        for r in rdr.records() {
            match r {
                Ok(rec) => {
                    let line = rec.position().map(|p| lines.line_at(start as u64 + p.byte())).unwrap_or(0);
                    rows.push((line, rec));
                }
                Err(e) => {
                    let line = e.position().map(|p| lines.line_at(start as u64 + p.byte())).unwrap_or(0);
                    broken.push((line, "the CSV reader could not read this row".to_string()));
                }
            }
        }
        // A quote never closed swallows the rest of the file into the last record: set it aside.
        if let Some((_, rec)) = rows.last() {
            let at = rec.position().map(|p| p.byte() as usize).unwrap_or(0).min(body.len());
            if text::ends_inside_quotes(&body[at..], delimiter) {
                let (line, _) = rows.pop().expect("a last row");
                let spans = body[at..].trim_end_matches(['\r', '\n']).matches('\n').count() + 1;
                broken.push((line, text::unclosed_quote_detail(spans)));
            }
        }
        Table {
            headers,
            keys,
            rows,
            broken,
            encoding,
            delimiter,
        }
    }

    /// The index of the first column whose name matches any of `names` (tolerantly).
    pub fn find(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|n| {
            let k = header_key(n);
            self.keys.iter().position(|h| *h == k)
        })
    }

    /// Like [`Table::find`], but a missing column is an error for `file` naming what was expected.
    pub fn require(&self, file: &str, what: &str, names: &[&str]) -> Result<usize, Diagnostic> {
        self.find(names).ok_or_else(|| {
            Diagnostic::new(
                file,
                1,
                0,
                format!(
                    "the header has no {what} column (expected one of: {})",
                    names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
                ),
            )
            .hint(format!(
                "{}. Is this the right export, or was the header edited?",
                describe_header(&self.headers)
            ))
        })
    }

    pub fn has(&self, names: &[&str]) -> bool {
        self.find(names).is_some()
    }
}

/// Words that appear in the header names of the exports turnout reads. A first line with none
/// of them is probably data (a sheet typed without a header), and must not be echoed.
const HEADER_WORDS: &[&str] = &[
    "name",
    "email",
    "e-mail",
    "mail",
    "phone",
    "cell",
    "mobile",
    "number",
    "date",
    "time",
    "timestamp",
    "id",
    "status",
    "event",
    "meeting",
    "first",
    "last",
    "given",
    "family",
    "zip",
    "postal",
    "created",
    "modified",
    "updated",
    "attended",
    "attendee",
    "message",
    "text",
    "body",
    "campaign",
    "contact",
    "user",
    "author",
    "join",
    "leave",
    "duration",
    "order",
    "ticket",
    "tags",
    "tag",
    "address",
    "city",
    "state",
    "role",
    "shift",
    "guest",
    "topic",
    "sender",
    "content",
    "source",
    "utm",
    "rsvp",
    "optin",
    "confirm",
    "timeslot",
    "vanid",
    "uuid",
    "group",
    "store",
    "worksite",
    "type",
    "title",
    "question",
    "notes",
    "member",
    "subscription",
    "attachments",
    "reactions",
    "quantity",
    "price",
];

/// The header cells as a quoted list for an error hint — or, when the first line does not look
/// like a header at all (no known header word in any cell), only how many columns it has, so a
/// data row is never echoed into an error.
pub fn describe_header(headers: &[String]) -> String {
    let cells: Vec<&str> = headers.iter().map(|h| h.trim()).filter(|h| !h.is_empty()).collect();
    let looks_like_header = cells.iter().any(|c| {
        let k = header_key(c);
        k.split(|ch: char| !ch.is_alphanumeric()).any(|w| HEADER_WORDS.contains(&w))
    });
    if looks_like_header {
        format!(
            "found columns: {}",
            cells.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>().join(", ")
        )
    } else {
        format!(
            "the first line has {} column(s), none of them a known header name: is the header line missing, or is this another export?",
            cells.len()
        )
    }
}

/// The common start of a CSV-based parser: read the whole table, record how it was read
/// (encoding, delimiter), stop on a file with no header and no rows (`None`, noted), check the
/// header with `check`, and quarantine the records the CSV reader could not split.
pub fn open(
    input: &super::Input,
    sink: &mut super::Sink,
    check: impl Fn(&Table) -> Result<(), Diagnostic>,
) -> Result<Option<Table>, Diagnostic> {
    let t = Table::read(input.bytes, 0);
    sink.note("encoding", t.encoding);
    sink.note("delimiter", text::delimiter_name(t.delimiter));
    if t.headers.iter().all(|h| h.trim().is_empty()) {
        sink.note("empty", "the file has no header and no rows");
        return Ok(None);
    }
    check(&t)?;
    for (line, why) in &t.broken {
        sink.stats.rows += 1;
        sink.quarantine(*line, None, "unreadable_row", why.clone());
    }
    Ok(Some(t))
}

/// A trimmed, non-empty cell.
pub fn cell(rec: &csv::StringRecord, i: Option<usize>) -> Option<&str> {
    i.and_then(|i| rec.get(i)).map(str::trim).filter(|v| !v.is_empty())
}

pub fn is_blank(rec: &csv::StringRecord) -> bool {
    rec.iter().all(|v| v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_keys_are_tolerant() {
        assert_eq!(header_key("\u{feff}Email Address "), "email address");
        assert_eq!(header_key("email_address"), "email address");
        assert_eq!(header_key("contact[cell]"), "cell");
        assert_eq!(header_key("texter[cell]"), "texter cell");
        assert_eq!(header_key("First-Name"), "first name");
        assert_eq!(header_key("question[Will you come?]"), "question[will you come?]");
    }

    #[test]
    fn a_data_row_in_place_of_the_header_is_never_echoed() {
        let d = describe_header(&["Rosa Martinez".into(), "(312) 555-0142".into(), "3/5/2026".into()]);
        assert!(!d.contains("Rosa") && !d.contains("555"), "{d}");
        assert!(d.contains("3 column(s)"), "{d}");
        assert_eq!(
            describe_header(&["Name".into(), "Phone".into()]),
            "found columns: \"Name\", \"Phone\""
        );
    }

    #[test]
    fn preamble_lines_keep_physical_line_numbers() {
        let t = Table::read(b"Meeting ID,Topic\r\n123,Town hall\r\n\r\nName,Email\r\nRosa,r@x.org\r\n", 3);
        assert_eq!(t.headers, vec!["Name", "Email"]);
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].0, 5);
        assert_eq!(t.find(&["e-mail", "email"]), Some(1));
        let err = t.require("z.csv", "join time", &["Join Time"]).unwrap_err().to_string();
        assert!(err.starts_with("z.csv:1: the header has no join time column"), "{err}");
        assert!(err.contains("found columns: \"Name\", \"Email\""), "{err}");
    }
}
