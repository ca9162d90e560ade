//! Bytes to text for spreadsheet-style exports: encodings, BOMs and delimiters.
//!
//! Takes: a file's bytes and optional overrides. Gives: UTF-8 text without a BOM, the encoding
//! used, and the delimiter. Promises: UTF-8 (with or without BOM) and UTF-16 with a BOM are read
//! as such; other bytes that are not valid UTF-8 are read as Windows-1252 (what Excel writes on
//! Windows) and that choice is reported, never silently mangled.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

/// Decodes `bytes`; returns the text and the name of the encoding used.
pub fn decode(bytes: &[u8], forced: Option<&'static Encoding>) -> (String, &'static str) {
    if let Some(enc) = forced {
        let (text, _, _) = enc.decode(bytes); // strips a matching BOM
        return (strip_bom(text), enc.name());
    }
    if let Some((enc, _)) = Encoding::for_bom(bytes) {
        let (text, _, _) = enc.decode(bytes);
        let name = if enc == UTF_8 {
            "UTF-8 (BOM)"
        } else if enc == UTF_16LE {
            "UTF-16LE"
        } else if enc == UTF_16BE {
            "UTF-16BE"
        } else {
            enc.name()
        };
        return (strip_bom(text), name);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), "UTF-8"),
        Err(_) => {
            let (text, _, _) = WINDOWS_1252.decode(bytes);
            (strip_bom(text), "windows-1252")
        }
    }
}

fn strip_bom(text: Cow<'_, str>) -> String {
    text.strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or_else(|| text.into_owned())
}

/// Picks the delimiter of a CSV from its header line: the most frequent of `,` `;` tab `|`
/// outside quotes (ties favour `,`).
pub fn detect_delimiter(text: &str) -> u8 {
    let header = first_record_text(text);
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0), (b'|', 0)];
    let mut in_quotes = false;
    for b in header.bytes() {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes {
            for c in counts.iter_mut() {
                if c.0 == b {
                    c.1 += 1;
                }
            }
        }
    }
    let best = counts.iter().max_by_key(|(d, n)| (*n, *d == b',')).copied().unwrap_or((b',', 0));
    if best.1 == 0 {
        b','
    } else {
        best.0
    }
}

fn first_record_text(text: &str) -> &str {
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or("")
}

/// 1-based line numbers for byte offsets, asked in increasing order. A line ends at `\n`, or at
/// `\r` not followed by `\n`; so LF, CRLF and old Mac files all count like an editor does.
/// (The csv crate's own line count is off for CRLF files, so parsers count here.)
pub struct LineCounter<'t> {
    bytes: &'t [u8],
    pos: usize,
    line: u64,
}

impl<'t> LineCounter<'t> {
    pub fn new(text: &'t str) -> Self {
        LineCounter {
            bytes: text.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    /// The line of the first character at or after `offset` that is not a line break (the csv
    /// crate reports a CRLF record's start at the `\n` of the break before it).
    pub fn line_at(&mut self, offset: u64) -> u64 {
        let mut target = (offset as usize).min(self.bytes.len());
        while target < self.bytes.len() && matches!(self.bytes[target], b'\n' | b'\r') {
            target += 1;
        }
        if target < self.pos {
            // Asked out of order: count again from the start.
            self.pos = 0;
            self.line = 1;
        }
        while self.pos < target {
            match self.bytes[self.pos] {
                b'\n' => self.line += 1,
                b'\r' if self.bytes.get(self.pos + 1) != Some(&b'\n') => self.line += 1,
                _ => {}
            }
            self.pos += 1;
        }
        self.line
    }
}

pub fn delimiter_name(d: u8) -> &'static str {
    match d {
        b',' => "comma",
        b';' => "semicolon",
        b'\t' => "tab",
        b'|' => "pipe",
        _ => "other",
    }
}

#[cfg(test)]
mod quote_tests {
    use super::*;

    #[test]
    fn unclosed_quotes_are_told_from_quotes_in_data() {
        assert!(ends_inside_quotes("2026-07-02,\"Luis", b','));
        assert!(ends_inside_quotes("1,\"Ana,312\n2,Luis,773\n", b','));
        assert!(!ends_inside_quotes("1,\"Ana, \"\"Bo\"\" Smith\",312\n", b','));
        assert!(
            !ends_inside_quotes("1,He said \"hi,312\n", b','),
            "a quote inside an unquoted field is data"
        );
        assert!(!ends_inside_quotes("1;\"a;b\";c\r\n", b';'));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_bom_is_stripped() {
        let (t, enc) = decode(b"\xef\xbb\xbfName,Phone\n", None);
        assert_eq!(t, "Name,Phone\n");
        assert_eq!(enc, "UTF-8 (BOM)");
    }

    #[test]
    fn windows_1252_is_detected_and_decoded() {
        // "José" with é as 0xE9
        let (t, enc) = decode(b"Name\nJos\xe9\n", None);
        assert_eq!(t, "Name\nJos\u{e9}\n");
        assert_eq!(enc, "windows-1252");
    }

    #[test]
    fn utf16_with_bom() {
        let mut bytes = vec![0xff, 0xfe];
        for u in "a,b\n".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let (t, enc) = decode(&bytes, None);
        assert_eq!(t, "a,b\n");
        assert_eq!(enc, "UTF-16LE");
    }

    #[test]
    fn line_counter_counts_lf_crlf_and_cr() {
        let t = "a\r\nb\nc\rd\r\n";
        let mut c = LineCounter::new(t);
        assert_eq!(c.line_at(0), 1);
        assert_eq!(c.line_at(3), 2); // 'b'
        assert_eq!(c.line_at(5), 3); // 'c'
        assert_eq!(c.line_at(7), 4); // 'd'
        assert_eq!(c.line_at(3), 2); // out of order still right
        assert_eq!(c.line_at(2), 2); // the \n of a CRLF belongs to the break: next record's line
    }

    #[test]
    fn delimiters() {
        assert_eq!(detect_delimiter("Name;Phone;Date\nA;B;C"), b';');
        assert_eq!(detect_delimiter("Name\tPhone\n"), b'\t');
        assert_eq!(detect_delimiter("\"Last; First\",Phone,Date\n"), b',');
        assert_eq!(detect_delimiter("Name\n"), b',');
    }
}

/// Whether CSV `text` (one record from its start to the end of the file) ends inside a quoted
/// field: a quote opened at the start of a field and never closed, which makes a CSV reader
/// swallow every later line into this record. Quotes inside unquoted fields are data.
pub fn ends_inside_quotes(text: &str, delimiter: u8) -> bool {
    let b = text.as_bytes();
    let (mut i, mut field_start, mut quoted) = (0, true, false);
    while i < b.len() {
        let c = b[i];
        if quoted {
            if c == b'"' {
                if b.get(i + 1) == Some(&b'"') {
                    i += 1; // an escaped quote
                } else {
                    quoted = false;
                }
            }
        } else if field_start && c == b'"' {
            quoted = true;
            field_start = false;
        } else if c == delimiter || c == b'\n' {
            field_start = true;
        } else if c != b'\r' {
            field_start = false;
        }
        i += 1;
    }
    quoted
}

/// The quarantine detail for a record whose quote is never closed, spanning `lines` lines.
pub fn unclosed_quote_detail(lines: usize) -> String {
    format!(
        "a quoted field that starts on this row is never closed, so the reader took the rest of the file ({lines} line(s)) as one row: close the quote in the export, or re-export the file"
    )
}
