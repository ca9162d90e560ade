//! Validation of the raw pipeline file into a [`Plan`], gathering every problem.
//!
//! Takes: the file's path and text. Gives: a `Plan`, or `TurnoutError::Config` listing every
//! problem with file:line:column and a hint. Promises: a problem in one table never hides a
//! problem in another; nothing but the file system's directory listing is consulted.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono::Weekday;
use chrono_tz::Tz;
use sha2::{Digest, Sha256};

use super::raw::*;
use super::*;
use crate::error::{Diagnostic, Result, TurnoutError};
use crate::schema::{Action, Channel, Tool};
use crate::timeutil;

/// Collects diagnostics against one pipeline file.
struct Diags<'a> {
    file: String,
    text: &'a str,
    list: Vec<Diagnostic>,
}

impl<'a> Diags<'a> {
    fn pos(&self, span: &Range<usize>) -> (usize, usize) {
        let upto = &self.text[..span.start.min(self.text.len())];
        let line = upto.matches('\n').count() + 1;
        let col = upto.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
        (line, col)
    }

    fn err(&mut self, span: &Range<usize>, msg: impl Into<String>, hint: impl Into<String>) {
        let (line, col) = self.pos(span);
        let hint: String = hint.into();
        let mut d = Diagnostic::new(&self.file, line, col, msg);
        if !hint.is_empty() {
            d = d.hint(hint);
        }
        self.list.push(d);
    }
}

pub fn validate(path: &Path, text: &str) -> Result<Plan> {
    let file = path.display().to_string();
    let mut d = Diags {
        file: file.clone(),
        text,
        list: Vec::new(),
    };

    let raw: RawPipelineFile = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let msg = e.message().trim().to_string();
            let hint = if msg.contains("unknown field") {
                "check the spelling against the pipeline reference in README.md; unknown keys are refused so that a typo never switches an option off silently"
            } else if msg.contains("missing field") {
                "add the missing key; README.md lists what each table needs"
            } else {
                "fix the TOML syntax at this position"
            };
            d.err(&span, msg, hint);
            return Err(TurnoutError::Config(d.list));
        }
    };

    let hash = hex(&Sha256::digest(text.as_bytes()));
    let p = raw.pipeline.get_ref();

    // [pipeline]
    let name = p.name.get_ref().trim().to_string();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        d.err(
            &p.name.span(),
            format!("pipeline name {name:?} is not usable as a folder name"),
            "use letters, digits, '-' and '_' only, like \"retail-weekly\"",
        );
    }
    let timezone = parse_tz(&mut d, &p.timezone).unwrap_or(Tz::UTC);
    let default_region = match &p.default_region {
        Some(r) => parse_region(&mut d, r).unwrap_or(phonenumber::country::Id::US),
        None => phonenumber::country::Id::US,
    };
    let week_start = match &p.week_starts {
        Some(w) => timeutil::parse_weekday(w.get_ref()).unwrap_or_else(|| {
            d.err(
                &w.span(),
                format!("week_starts {:?} is not a day of the week", w.get_ref()),
                "use \"monday\" or \"sunday\"",
            );
            Weekday::Mon
        }),
        None => Weekday::Mon,
    };
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let root = match &p.root {
        Some(r) => base.join(r.get_ref()),
        None => {
            let parent_is_pipelines = base.file_name().map(|n| n == "pipelines").unwrap_or(false);
            if parent_is_pipelines {
                base.parent().map(Path::to_path_buf).unwrap_or_default()
            } else {
                base.clone()
            }
        }
    };
    let root = if root.as_os_str().is_empty() { PathBuf::from(".") } else { root };

    let mut attributes = Vec::new();
    for a in p.attributes.iter().flatten() {
        let n = a.get_ref().trim().to_string();
        let reserved = crate::schema::EVENT_COLUMNS.contains(&n.as_str()) || crate::schema::col::PERSON_ID == n;
        if n.is_empty() || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            d.err(
                &a.span(),
                format!("attribute name {n:?} is not a plain identifier"),
                "use lower-case letters, digits and '_', like \"worksite\"",
            );
        } else if reserved || Field::parse(&n).is_some() {
            d.err(
                &a.span(),
                format!("attribute {n:?} collides with a built-in column"),
                "choose another name, like \"worksite\" or \"department\"",
            );
        } else if attributes.contains(&n) {
            d.err(&a.span(), format!("attribute {n:?} is declared twice"), "remove the duplicate");
        } else {
            attributes.push(n);
        }
    }

    let meetings = match &p.meetings {
        Some(m) => load_meetings(&mut d, &root, m),
        None => Vec::new(),
    };

    // [[source]]
    let mut sources = Vec::new();
    let mut names = BTreeSet::new();
    if raw.sources.is_empty() {
        d.err(
            &raw.pipeline.span(),
            "the pipeline has no [[source]] table",
            "add at least one [[source]] with name, tool and path",
        );
    }
    for s in &raw.sources {
        let span = s.span();
        let s = s.get_ref();
        let sname = s.name.get_ref().trim().to_string();
        if sname.is_empty() {
            d.err(
                &s.name.span(),
                "source name is empty",
                "give every source a short unique name, like \"sign-in-sheets\"",
            );
        } else if !names.insert(sname.clone()) {
            d.err(
                &s.name.span(),
                format!("source name {sname:?} is used twice"),
                "source names must be unique: they label rows in the report",
            );
        }
        let tool = match s.tool.get_ref().parse::<Tool>() {
            Ok(t) if crate::ingest::parser_for(t).is_some() => Some(t),
            Ok(t) => {
                d.err(
                    &s.tool.span(),
                    format!("tool {:?} is not supported by this version of turnout yet", t.as_str()),
                    format!(
                        "supported tools: {}; export the data as CSV and use tool = \"csv\" with a column mapping meanwhile",
                        crate::ingest::supported_tools().join(", ")
                    ),
                );
                None
            }
            Err(_) => {
                d.err(
                    &s.tool.span(),
                    format!("unknown tool {:?}", s.tool.get_ref()),
                    format!(
                        "use one of: {}",
                        Tool::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                );
                None
            }
        };
        let tz = match &s.timezone {
            Some(t) => parse_tz(&mut d, t).unwrap_or(timezone),
            None => timezone,
        };
        let region = match &s.default_region {
            Some(r) => parse_region(&mut d, r).unwrap_or(default_region),
            None => default_region,
        };
        let files = resolve_glob(&mut d, &root, &s.path);
        // Tool options are checked only for a known tool: an unknown tool is one problem, not ten.
        let mut csv = None;
        let mut attr_columns = Vec::new();
        if let Some(t) = tool {
            let accepts = crate::ingest::parser_for(t).map(|p| p.accepts()).unwrap_or(&[]);
            for (key, kspan) in tool_keys(s) {
                if !accepts.contains(&key) {
                    d.err(
                        &kspan,
                        format!("key {key:?} is not read by tool {:?}", t.as_str()),
                        if accepts.is_empty() {
                            format!(
                                "remove it: tool {:?} takes no options besides name, tool, path, organizers, timezone and default_region",
                                t.as_str()
                            )
                        } else {
                            format!("remove it; tool {:?} reads: {}", t.as_str(), accepts.join(", "))
                        },
                    );
                }
            }
            if t == Tool::Csv {
                csv = Some(csv_options(&mut d, s, &attributes, &span));
            } else if let Some(cols) = &s.columns {
                for (key, header) in cols.get_ref() {
                    match attributes.iter().position(|a| a == key) {
                        Some(i) => attr_columns.push((i, header.get_ref().trim().to_string())),
                        None => d.err(&header.span(), format!("{key:?} is not a declared attribute"), format!("tool {:?} maps its own fields; `columns` here only maps declared attributes ([pipeline] attributes = [\"{key}\"])", t.as_str())),
                    }
                }
            }
        }
        let date_order = s.date_order.as_ref().and_then(|o| {
            DateOrder::parse(o.get_ref()).or_else(|| {
                d.err(
                    &o.span(),
                    format!("date_order {:?} is not an order", o.get_ref()),
                    "use \"dmy\" (13/06/2018), \"mdy\" (06/13/2018) or \"ymd\" (2018/06/13)",
                );
                None
            })
        });
        let min_minutes = s.min_minutes.as_ref().and_then(|m| match u32::try_from(*m.get_ref()) {
            Ok(v) => Some(v),
            Err(_) => {
                d.err(
                    &m.span(),
                    "min_minutes must be zero or more",
                    "e.g. min_minutes = 10 counts people who stayed at least 10 minutes",
                );
                None
            }
        });
        let (line, _) = d.pos(&span);
        sources.push(SourcePlan {
            name: sname,
            tool: tool.unwrap_or(Tool::Csv),
            pattern: s.path.get_ref().clone(),
            files,
            organizers: s.organizers.iter().flatten().map(|o| o.get_ref().clone()).collect(),
            timezone: tz,
            region,
            csv,
            attr_columns,
            date_order,
            group: s.group.as_ref().map(|g| g.get_ref().trim().to_string()),
            min_minutes,
            line,
        });
    }

    // [identity]
    let mut match_on = Vec::new();
    let mut identity = IdentityPlan::default();
    if let Some(id) = &raw.identity {
        let id = id.get_ref();
        for m in id.match_on.iter().flatten() {
            match m.get_ref().as_str() {
                "email" => match_on.push(IdKind::Email),
                "phone" => match_on.push(IdKind::Phone),
                "external_id" => match_on.push(IdKind::ExternalId),
                other => d.err(
                    &m.span(),
                    format!("cannot match people on {other:?}"),
                    "use any of \"email\", \"phone\", \"external_id\"",
                ),
            }
        }
        if let Some(n) = &id.names {
            match n.get_ref().as_str() {
                "off" => {}
                "probable" => identity.probable_names = true,
                _ => d.err(
                    &n.span(),
                    format!("names = {:?} is not a mode", n.get_ref()),
                    "use \"off\" or \"probable\"",
                ),
            }
        }
        if let Some(t) = &id.name_threshold {
            let v = *t.get_ref();
            if (0.5..=1.0).contains(&v) {
                identity.name_threshold = v;
            } else {
                d.err(
                    &t.span(),
                    format!("name_threshold = {v} is out of range"),
                    "use a score between 0.5 and 1.0 (the default 0.85 links nicknames and typos of full names; 0.8 also links \"Rosa M.\" to \"Rosa Martinez\")",
                );
            }
        }
        if let Some(p) = &id.worksite_pattern {
            match regex::RegexBuilder::new(p.get_ref())
                .case_insensitive(true)
                .size_limit(1 << 20)
                .build()
            {
                Ok(r) => identity.worksite_pattern = Some(r),
                Err(e) => d.err(
                    &p.span(),
                    format!(
                        "worksite_pattern is not a valid regular expression: {}",
                        e.to_string().lines().last().unwrap_or("")
                    ),
                    "write a regular expression such as \"Store \\\\d+\" (backslashes doubled in TOML strings)",
                ),
            }
        }
        if let Some(m) = &id.max_names_per_key {
            match usize::try_from(*m.get_ref()) {
                Ok(v) if v >= 1 => identity.max_names_per_key = v,
                _ => d.err(
                    &m.span(),
                    format!("max_names_per_key = {} is out of range", m.get_ref()),
                    "use 1 or more: the number of clearly different names one email or phone may carry before it stops linking",
                ),
            }
        }
        if let Some(b) = &id.email_provider_rules {
            identity.email_provider_rules = *b.get_ref();
        }
        if let Some(o) = &id.overrides {
            let path = root.join(o.get_ref());
            if !path.is_file() {
                d.err(
                    &o.span(),
                    format!("overrides file {:?} does not exist", o.get_ref()),
                    "give a CSV path relative to the project root, or remove the key",
                );
            }
            identity.overrides = Some(path);
        }
    }
    if match_on.is_empty() {
        match_on = vec![IdKind::Email, IdKind::Phone, IdKind::ExternalId];
    }
    match_on.sort();
    match_on.dedup();

    // [[funnel]]
    let mut funnels = Vec::new();
    if raw.funnels.is_empty() {
        d.err(
            &raw.pipeline.span(),
            "the pipeline has no [[funnel]] table",
            "add a [[funnel]] with a name, a window and at least one stage",
        );
    }
    let source_names: BTreeSet<String> = sources.iter().map(|s| s.name.clone()).collect();
    let mut funnel_names = BTreeSet::new();
    for f in &raw.funnels {
        let f = f.get_ref();
        let fname = f.name.get_ref().trim().to_string();
        if fname.is_empty() {
            d.err(&f.name.span(), "funnel name is empty", "name the funnel, like \"Group to meeting\"");
        } else if !funnel_names.insert(fname.clone()) {
            d.err(
                &f.name.span(),
                format!("funnel name {fname:?} is used twice"),
                "funnel names must be unique",
            );
        }
        let window_us = match timeutil::parse_window(f.window.get_ref()) {
            Ok(w) => w,
            Err(e) => {
                d.err(
                    &f.window.span(),
                    e,
                    "windows are a number and a unit: s, m, h, d or w, like \"30d\"",
                );
                0
            }
        };
        let order = match f.order.as_ref().map(|o| o.get_ref().as_str()) {
            None | Some("ordered") => Order::Ordered,
            Some("unordered") => Order::Unordered,
            Some(other) => {
                d.err(
                    &f.order.as_ref().unwrap().span(),
                    format!("order {other:?} is not a funnel mode"),
                    "use \"ordered\" or \"unordered\"",
                );
                Order::Ordered
            }
        };
        if f.stages.get_ref().is_empty() {
            d.err(&f.stages.span(), "the funnel has no stages", "list the rungs of the ladder, first rung first: stages = [{ name = \"In a group\", when = { action = \"group_joined\" } }, ...]");
        }
        let mut stages = Vec::new();
        for st in f.stages.get_ref() {
            let st = st.get_ref();
            let sn = st.name.get_ref().trim().to_string();
            if sn.is_empty() {
                d.err(
                    &st.name.span(),
                    "stage name is empty",
                    "name every stage in plain words, like \"Came to a meeting\"",
                );
            } else if stages.iter().any(|x: &StagePlan| x.name == sn) {
                d.err(
                    &st.name.span(),
                    format!("stage name {sn:?} is used twice in this funnel"),
                    "give every stage its own name (\"Came to a meeting\", \"Came back\")",
                );
            }
            let when = predicate(&mut d, &st.when, &source_names);
            stages.push(StagePlan { name: sn, when });
        }
        let mut breakdowns = Vec::new();
        for b in f.breakdowns.iter().flatten() {
            let text = b.get_ref().trim();
            let (dim_text, at) = match text.split_once('@') {
                Some((dim, stage)) => (dim.trim(), Some(stage.trim())),
                None => (text, None),
            };
            let dim = match dim_text {
                "first_channel" | "channel" => Some(Dim::Channel),
                "first_tool" | "tool" => Some(Dim::Tool),
                "source" => Some(Dim::Source),
                "utm_source" => Some(Dim::UtmSource),
                "utm_medium" => Some(Dim::UtmMedium),
                "utm_campaign" => Some(Dim::UtmCampaign),
                "context" => Some(Dim::Context),
                other => attributes.iter().position(|a| a == other).map(Dim::Attr),
            };
            let Some(dim) = dim else {
                d.err(
                    &b.span(),
                    format!("unknown breakdown {dim_text:?}"),
                    format!(
                        "use first_channel, first_tool, source, context, utm_source, utm_medium, utm_campaign or a declared attribute ({}); add @<stage name> to use the value on the event that filled that stage",
                        if attributes.is_empty() { "none declared in [pipeline] attributes".to_string() } else { attributes.join(", ") }
                    ),
                );
                continue;
            };
            let at_stage = match at {
                None => None,
                Some(name) => match stages.iter().position(|s| s.name == name) {
                    Some(k) => Some(k),
                    None => {
                        d.err(
                            &b.span(),
                            format!("breakdown {text:?} names stage {name:?}, which this funnel does not have"),
                            format!(
                                "stages: {}",
                                stages.iter().map(|s| format!("{:?}", s.name)).collect::<Vec<_>>().join(", ")
                            ),
                        );
                        continue;
                    }
                },
            };
            breakdowns.push(Breakdown {
                label: text.to_string(),
                dim,
                at_stage,
            });
        }
        funnels.push(FunnelPlan {
            name: fname,
            window_us,
            window_text: f.window.get_ref().trim().to_string(),
            order,
            breakdowns,
            stages,
        });
    }

    // [report]
    let mut report = ReportPlan {
        min_cell: 10,
        cohort_weeks: 12,
        action_lists: false,
    };
    if let Some(r) = &raw.report {
        let r = r.get_ref();
        if let Some(m) = &r.min_cell {
            if *m.get_ref() < 1 {
                d.err(
                    &m.span(),
                    "min_cell must be at least 1",
                    "10 is the usual minimum for published counts",
                );
            } else {
                report.min_cell = *m.get_ref() as u64;
            }
        }
        if let Some(w) = &r.cohort_weeks {
            if !(1..=104).contains(w.get_ref()) {
                d.err(&w.span(), "cohort_weeks must be between 1 and 104", "12 shows a quarter");
            } else {
                report.cohort_weeks = *w.get_ref() as usize;
            }
        }
        if let Some(a) = &r.action_lists {
            report.action_lists = *a.get_ref();
        }
    }

    // [checks]
    let mut checks = ChecksPlan::default();
    if let Some(c) = &raw.checks {
        let c = c.get_ref();
        if let Some(v) = &c.max_quarantined_share {
            if (0.0..=1.0).contains(v.get_ref()) {
                checks.max_quarantined_share = *v.get_ref();
            } else {
                d.err(
                    &v.span(),
                    "max_quarantined_share must be between 0 and 1",
                    "0.05 warns when more than 5% of a source's rows are set aside",
                );
            }
        }
        if let Some(v) = &c.max_days_behind {
            match u32::try_from(*v.get_ref()) {
                Ok(n) if n <= 3650 => checks.max_days_behind = n,
                _ => d.err(
                    &v.span(),
                    "max_days_behind must be between 0 and 3650",
                    "14 warns when a source's newest record is two weeks behind; 0 turns the check off",
                ),
            }
        }
        for name in c.expect_weekly.iter().flatten() {
            if sources.iter().any(|s: &SourcePlan| &s.name == name.get_ref()) {
                checks.expect_weekly.push(name.get_ref().clone());
            } else {
                d.err(
                    &name.span(),
                    format!("expect_weekly names {:?}, which is not a source of this pipeline", name.get_ref()),
                    format!(
                        "use one of: {}",
                        sources.iter().map(|s| format!("{:?}", s.name)).collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        }
    }

    if !d.list.is_empty() {
        return Err(TurnoutError::Config(d.list));
    }
    Ok(Plan {
        name,
        path: path.to_path_buf(),
        root,
        hash,
        timezone,
        default_region,
        week_start,
        attributes,
        meetings,
        sources,
        identity: IdentityPlan { match_on, ..identity },
        funnels,
        report,
        checks,
    })
}

/// The optional keys set in a `[[source]]` table that only some tools read, with their spans.
fn tool_keys(s: &RawSource) -> Vec<(&'static str, Range<usize>)> {
    let mut keys = Vec::new();
    macro_rules! key {
        ($($field:ident),*) => {
            $(if let Some(v) = &s.$field {
                keys.push((stringify!($field), v.span()));
            })*
        };
    }
    key!(
        date_order,
        group,
        min_minutes,
        columns,
        action,
        channel,
        ts_format,
        delimiter,
        encoding,
        context,
        name_is_handle,
        skip_when
    );
    keys
}

/// Reads the meetings table (`source,key,meeting`), reporting its own file:line problems.
fn load_meetings(d: &mut Diags, root: &Path, m: &S<String>) -> Vec<MeetingKey> {
    let path = root.join(m.get_ref());
    let shown = m.get_ref().clone();
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            d.err(
                &m.span(),
                format!("cannot read the meetings table {shown:?}: {e}"),
                "give a CSV path relative to the project root, with columns source,key,meeting",
            );
            return Vec::new();
        }
    };
    let (text, _) = crate::ingest::text::decode(&bytes, None);
    let delimiter = crate::ingest::text::detect_delimiter(&text);
    let mut rdr = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map(|h| h.iter().map(|x| x.trim().to_lowercase()).collect())
        .unwrap_or_default();
    let idx = |n: &str| headers.iter().position(|h| h == n);
    let (Some(si), Some(ki), Some(mi)) = (idx("source"), idx("key"), idx("meeting")) else {
        d.list.push(
            Diagnostic::new(
                &shown,
                1,
                0,
                format!(
                    "the meetings table needs columns source, key, meeting; found {}",
                    headers.join(", ")
                ),
            )
            .hint("first line: source,key,meeting"),
        );
        return Vec::new();
    };
    let mut lines = crate::ingest::text::LineCounter::new(&text);
    let mut out = Vec::new();
    for rec in rdr.records() {
        match rec {
            Ok(r) => {
                let line = r.position().map(|p| lines.line_at(p.byte())).unwrap_or(0) as usize;
                let get = |i: usize| r.get(i).unwrap_or("").trim().to_string();
                let (source, key, meeting) = (get(si), get(ki), get(mi));
                if source.is_empty() && key.is_empty() && meeting.is_empty() {
                    continue;
                }
                if source.is_empty() || key.is_empty() || meeting.is_empty() {
                    d.list.push(
                        Diagnostic::new(&shown, line, 0, "a meetings row needs source, key and meeting")
                            .hint("fill all three columns or delete the row"),
                    );
                    continue;
                }
                out.push(MeetingKey { source, key, meeting });
            }
            Err(e) => d
                .list
                .push(Diagnostic::new(&shown, 0, 0, format!("cannot read the meetings table: {e}"))),
        }
    }
    out
}

fn parse_tz(d: &mut Diags, t: &S<String>) -> Option<Tz> {
    match t.get_ref().parse::<Tz>() {
        Ok(tz) => Some(tz),
        Err(_) => {
            d.err(
                &t.span(),
                format!("{:?} is not an IANA time zone", t.get_ref()),
                "use a zone name like \"America/Chicago\", \"Europe/Madrid\" or \"UTC\"",
            );
            None
        }
    }
}

fn parse_region(d: &mut Diags, r: &S<String>) -> Option<phonenumber::country::Id> {
    match r.get_ref().trim().to_ascii_uppercase().parse::<phonenumber::country::Id>() {
        Ok(id) => Some(id),
        Err(_) => {
            d.err(
                &r.span(),
                format!("{:?} is not a two-letter country code", r.get_ref()),
                "use an ISO 3166 code such as \"US\", \"GB\", \"MX\"",
            );
            None
        }
    }
}

fn resolve_glob(d: &mut Diags, root: &Path, pattern: &S<String>) -> Vec<PathBuf> {
    let full = root.join(pattern.get_ref());
    let full_s = full.to_string_lossy().to_string();
    match glob::glob(&full_s) {
        Err(e) => {
            d.err(
                &pattern.span(),
                format!("path {:?} is not a valid glob: {}", pattern.get_ref(), e.msg),
                "use * and ? wildcards, like \"data/retail/signin/*.csv\"",
            );
            Vec::new()
        }
        Ok(paths) => {
            let mut files: Vec<PathBuf> = paths.filter_map(|p| p.ok()).filter(|p| p.is_file()).collect();
            files.sort();
            // A link to a file outside the project folder is refused: a pipeline reads only what
            // the data lead put under its root (a stray link must not pull in other files).
            let canonical_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
            files.retain(|f| {
                let inside = std::fs::canonicalize(f).map(|c| c.starts_with(&canonical_root)).unwrap_or(false);
                if !inside {
                    let shown = f.strip_prefix(root).unwrap_or(f).display().to_string();
                    d.err(
                        &pattern.span(),
                        format!(
                            "{shown} (matched by {:?}) links to a file outside the project folder",
                            pattern.get_ref()
                        ),
                        format!(
                            "copy the export into the project folder ({}) instead of linking to it",
                            root.display()
                        ),
                    );
                }
                inside
            });
            if files.is_empty() {
                d.err(
                    &pattern.span(),
                    format!("path {:?} matches no files (looked in {})", pattern.get_ref(), root.display()),
                    "paths are relative to the project root (the folder holding pipelines/); check the folder name and the extension",
                );
            }
            files
        }
    }
}

fn csv_options(d: &mut Diags, s: &RawSource, attributes: &[String], span: &Range<usize>) -> CsvOptions {
    let mut columns = Vec::new();
    let mut has_ts = false;
    let mut has_id = false;
    match &s.columns {
        None => d.err(
            span,
            format!("csv source {:?} has no column mapping", s.name.get_ref()),
            "add columns = { ts = \"Date\", phone = \"Phone\", name = \"Name\" } naming the headers in your file",
        ),
        Some(cols) => {
            for (key, header) in cols.get_ref() {
                let target = if let Some(f) = Field::parse(key) {
                    Target::Field(f)
                } else if let Some(i) = attributes.iter().position(|a| a == key) {
                    Target::Attr(i)
                } else {
                    d.err(
                        &header.span(),
                        format!("{key:?} is neither a canonical field nor a declared attribute"),
                        format!(
                            "fields: {}; declare custom ones in [pipeline] attributes = [\"{key}\"]",
                            Field::ALL.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                        ),
                    );
                    continue;
                };
                if header.get_ref().trim().is_empty() {
                    d.err(
                        &header.span(),
                        format!("column for {key:?} is empty"),
                        "write the header exactly as it appears in the file's first line",
                    );
                }
                has_ts |= target == Target::Field(Field::Ts);
                has_id |= matches!(
                    target,
                    Target::Field(Field::Email | Field::Phone | Field::Name | Field::FirstName | Field::LastName | Field::ExternalId)
                );
                columns.push((target, header.get_ref().trim().to_string()));
            }
            if !has_ts {
                d.err(
                    &cols.span(),
                    "the column mapping has no ts (timestamp) column",
                    "map the date or time column: ts = \"Date\"",
                );
            }
            if !has_id {
                d.err(
                    &cols.span(),
                    "the column mapping has no identifier column",
                    "map at least one of email, phone, name, external_id",
                );
            }
        }
    }
    let action = match &s.action {
        None => {
            d.err(
                span,
                format!("csv source {:?} does not say what its rows are", s.name.get_ref()),
                "add action = \"attended\" (every row) or action = { column = \"Status\", map = { Registered = \"rsvp\" } }",
            );
            ActionSpec::Constant(Action::FormSubmitted)
        }
        Some(a) => match a.get_ref() {
            RawAction::Constant(c) => match c.parse::<Action>() {
                Ok(act) => ActionSpec::Constant(act),
                Err(e) => {
                    d.err(&a.span(), e, "");
                    ActionSpec::Constant(Action::FormSubmitted)
                }
            },
            RawAction::Mapped(m) => {
                let mut map = Vec::new();
                for (k, v) in &m.map {
                    match v.parse::<Action>() {
                        Ok(act) => map.push((k.trim().to_lowercase(), act)),
                        Err(e) => d.err(&a.span(), format!("in the action map for {k:?}: {e}"), ""),
                    }
                }
                if map.is_empty() {
                    d.err(
                        &a.span(),
                        "the action map is empty",
                        "map each value of the column to an action: map = { Registered = \"rsvp\", Attended = \"attended\" }",
                    );
                }
                ActionSpec::Mapped {
                    column: m.column.trim().to_string(),
                    map,
                    skip: m.skip.iter().map(|v| v.trim().to_lowercase()).collect(),
                }
            }
        },
    };
    let channel = s.channel.as_ref().and_then(|c| match c.get_ref().parse::<Channel>() {
        Ok(ch) => Some(ch),
        Err(e) => {
            d.err(&c.span(), e, "");
            None
        }
    });
    let ts_format = s.ts_format.as_ref().and_then(|f| {
        let fmt = f.get_ref().clone();
        if crate::ingest::timestamps::Format::from_chrono(&fmt).is_none() {
            d.err(
                &f.span(),
                format!("ts_format {fmt:?} is not a usable chrono format"),
                "use strftime codes with at least a date: \"%m/%d/%Y\", \"%Y-%m-%d %H:%M\", \"%d.%m.%Y %H:%M:%S\"",
            );
            None
        } else {
            Some(fmt)
        }
    });
    let delimiter = s.delimiter.as_ref().and_then(|x| match x.get_ref().as_str() {
        "," => Some(b','),
        ";" => Some(b';'),
        "\t" | "\\t" | "tab" => Some(b'\t'),
        "|" => Some(b'|'),
        other => {
            d.err(
                &x.span(),
                format!("delimiter {other:?} is not supported"),
                "use \",\", \";\", \"\\t\" or \"|\"",
            );
            None
        }
    });
    let encoding = s
        .encoding
        .as_ref()
        .and_then(|e| match encoding_rs::Encoding::for_label(e.get_ref().trim().as_bytes()) {
            Some(enc)
                if enc == encoding_rs::UTF_8
                    || enc == encoding_rs::WINDOWS_1252
                    || enc == encoding_rs::UTF_16LE
                    || enc == encoding_rs::UTF_16BE =>
            {
                Some(enc)
            }
            _ => {
                d.err(
                    &e.span(),
                    format!("encoding {:?} is not supported", e.get_ref()),
                    "use \"utf-8\" or \"windows-1252\"",
                );
                None
            }
        });
    CsvOptions {
        columns,
        action,
        channel,
        ts_format,
        delimiter,
        encoding,
        context: s.context.as_ref().map(|c| c.get_ref().clone()),
        name_is_handle: s.name_is_handle.as_ref().map(|b| *b.get_ref()).unwrap_or(false),
        skip_when: s.skip_when.as_ref().map(|k| {
            (
                k.get_ref().column.trim().to_string(),
                k.get_ref().values.iter().map(|v| v.trim().to_lowercase()).collect(),
            )
        }),
    }
}

fn predicate(d: &mut Diags, when: &S<RawWhen>, sources: &BTreeSet<String>) -> Predicate {
    let w = when.get_ref();
    let mut p = Predicate::default();
    if let Some(a) = &w.action {
        let mut set = BTreeSet::new();
        for v in a.get_ref().values() {
            match v.parse::<Action>() {
                Ok(x) => {
                    set.insert(x);
                }
                Err(e) => d.err(&a.span(), e, ""),
            }
        }
        p.actions = Some(set);
    }
    if let Some(s) = &w.source {
        let mut set = BTreeSet::new();
        for v in s.get_ref().values() {
            if !sources.contains(&v) {
                d.err(
                    &s.span(),
                    format!("stage refers to source {v:?}, which the pipeline does not define"),
                    format!("defined sources: {}", sources.iter().cloned().collect::<Vec<_>>().join(", ")),
                );
            }
            set.insert(v);
        }
        p.sources = Some(set);
    }
    if let Some(t) = &w.tool {
        let mut set = BTreeSet::new();
        for v in t.get_ref().values() {
            match v.parse::<Tool>() {
                Ok(x) => {
                    set.insert(x);
                }
                Err(e) => d.err(&t.span(), e, ""),
            }
        }
        p.tools = Some(set);
    }
    if let Some(c) = &w.channel {
        let mut set = BTreeSet::new();
        for v in c.get_ref().values() {
            match v.parse::<Channel>() {
                Ok(x) => {
                    set.insert(x);
                }
                Err(e) => d.err(&c.span(), e, ""),
            }
        }
        p.channels = Some(set);
    }
    if let Some(c) = &w.context {
        p.contexts = Some(c.get_ref().values().into_iter().collect());
    }
    if p == Predicate::default() {
        d.err(
            &when.span(),
            "the stage's `when` matches every event",
            "say what the stage is: when = { action = \"attended\" }",
        );
    }
    p
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}
