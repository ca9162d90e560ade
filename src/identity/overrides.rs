//! Manual overrides: a CSV of "same person" / "different person" pairs that wins over every rule.
//!
//! Takes: the pipeline's `[identity] overrides` file. Gives: [`Override`]s with both identifiers
//! normalised the way identity normalises them. Promises: every bad row is reported with file,
//! line and column and a hint, all at once; identifiers never appear in messages.
//!
//! The file (header required; `#` lines are comments):
//!
//! ```text
//! a,b,relation
//! rosa.m@gmail.com,+1 312 456 0142,same
//! name:store-groups:Dana (organizer),dana.whitfield@northsideworkers.org,same
//! +1 773 555 0199,maria.lopez@gmail.com,different
//! id:spoke:2480001,jose@x.org,same
//! ```
//!
//! An identifier is an email (`email:` prefix optional), a phone (`phone:` optional, read with
//! the pipeline's default region), a tool id `id:<tool>:<id>`, or a chat display name
//! `name:<source>:<display name>` (in every chat of that source). `relation` is `same` or
//! `different`.

use std::path::Path;

use crate::config::Plan;
use crate::error::Diagnostic;

use super::normalize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Same,
    Different,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ident {
    Email(String),
    Phone(String),
    /// `<tool>:<id>`, as identity keys tool ids.
    ToolId(String),
    /// A display name (folded) in any chat of a source.
    Name {
        source: String,
        name: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub a: Ident,
    pub b: Ident,
    pub relation: Relation,
    /// Line in the overrides file.
    pub line: u64,
}

fn ident(plan: &Plan, raw: &str) -> Result<Ident, String> {
    let raw = raw.trim();
    if let Some(rest) = raw.strip_prefix("name:") {
        let (source, name) = rest
            .split_once(':')
            .ok_or("a display name is written name:<source>:<display name>")?;
        if !plan.sources.iter().any(|s| s.name == source.trim()) {
            return Err(format!("the pipeline has no source named {:?}", source.trim()));
        }
        let name = normalize::name(name);
        if name.is_empty() {
            return Err("the display name is empty".into());
        }
        return Ok(Ident::Name {
            source: source.trim().to_string(),
            name,
        });
    }
    if let Some(rest) = raw.strip_prefix("id:") {
        let (tool, id) = rest.split_once(':').ok_or("a tool id is written id:<tool>:<id>")?;
        let tool = tool.trim();
        if !crate::schema::Tool::ALL.iter().any(|t| t.as_str() == tool) {
            return Err(format!("{tool:?} is not a tool turnout reads"));
        }
        return Ok(Ident::ToolId(format!("{tool}:{}", id.trim())));
    }
    if let Some(rest) = raw.strip_prefix("email:") {
        return normalize::email(rest)
            .map(Ident::Email)
            .map_err(|_| "not a valid email address".into());
    }
    if let Some(rest) = raw.strip_prefix("phone:") {
        return normalize::phone(rest, plan.default_region)
            .map(Ident::Phone)
            .map_err(|_| "not a valid phone number".into());
    }
    if raw.contains('@') {
        return normalize::email(raw)
            .map(Ident::Email)
            .map_err(|_| "not a valid email address".into());
    }
    normalize::phone(raw, plan.default_region)
        .map(Ident::Phone)
        .map_err(|_| "not an email, a valid phone number, id:<tool>:<id> or name:<source>:<display name>".into())
}

/// Reads the overrides file; every bad row is reported.
pub fn load(plan: &Plan, path: &Path) -> Result<Vec<Override>, Vec<Diagnostic>> {
    let shown = plan.shown(path);
    let bytes = std::fs::read(path).map_err(|e| {
        vec![Diagnostic::new(&shown, 0, 0, format!("cannot read the overrides file: {e}")).hint("check the path in [identity] overrides")]
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut rdr = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![Diagnostic::new(&shown, 1, 1, format!("cannot read the header: {e}"))]),
    };
    let pos = |n: &str| header.iter().position(|h| h.eq_ignore_ascii_case(n));
    let (Some(ia), Some(ib), Some(ir)) = (pos("a"), pos("b"), pos("relation")) else {
        return Err(vec![Diagnostic::new(
            &shown,
            1,
            1,
            "the overrides file needs the columns a, b, relation",
        )
        .hint("start the file with the header line: a,b,relation")]);
    };
    // 1-based column of field `i` on a line (for messages); fields are short, so count them.
    let col_of = |rec: &csv::StringRecord, i: usize| -> usize { 1 + rec.iter().take(i).map(|f| f.len() + 1).sum::<usize>() };
    let mut out = Vec::new();
    let mut diags = Vec::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0) as usize;
                diags.push(Diagnostic::new(&shown, line, 1, "cannot read this row").hint("check the quoting of the row"));
                continue;
            }
        };
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.iter().all(|f| f.is_empty()) {
            continue;
        }
        let relation = match rec.get(ir).map(|r| r.to_ascii_lowercase()) {
            Some(r) if r == "same" => Relation::Same,
            Some(r) if r == "different" => Relation::Different,
            _ => {
                diags.push(
                    Diagnostic::new(&shown, line as usize, col_of(&rec, ir), "relation must be same or different")
                        .hint("write same (one person) or different (never the same person)"),
                );
                continue;
            }
        };
        let mut parsed = Vec::new();
        for i in [ia, ib] {
            match ident(plan, rec.get(i).unwrap_or("")) {
                Ok(v) => parsed.push(v),
                Err(why) => diags.push(
                    Diagnostic::new(
                        &shown,
                        line as usize,
                        col_of(&rec, i),
                        format!("this identifier cannot be used: {why}"),
                    )
                    .hint("use an email, a phone number, id:<tool>:<id> or name:<source>:<display name>"),
                ),
            }
        }
        if let (Some(b), Some(a), true) = (parsed.pop(), parsed.pop(), parsed.is_empty()) {
            out.push(Override { a, b, relation, line });
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}
