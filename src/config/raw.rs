//! The pipeline file as written: a serde mirror of `pipelines/*.toml`.
//!
//! Takes: TOML text. Gives: [`RawPipelineFile`] with byte spans on every value so validation can
//! point at file:line:column. Promises: unknown keys are refused (`deny_unknown_fields`), so a
//! typo never silently switches an option off. The doc comments here are the reference for the
//! pipeline file; README.md summarises them.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_spanned::Spanned;

pub type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPipelineFile {
    pub pipeline: S<RawPipeline>,
    /// `[[source]]`: one export folder read with one tool's parser.
    #[serde(default, rename = "source")]
    pub sources: Vec<S<RawSource>>,
    #[serde(default)]
    pub identity: Option<S<RawIdentity>>,
    /// `[[funnel]]`: a ladder of engagement to measure.
    #[serde(default, rename = "funnel")]
    pub funnels: Vec<S<RawFunnel>>,
    #[serde(default)]
    pub report: Option<S<RawReport>>,
    /// `[checks]`: data-quality thresholds that make a run exit 1.
    #[serde(default)]
    pub checks: Option<S<RawChecks>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChecks {
    /// Share of a source's rows set aside above which the run warns (default 0.05).
    pub max_quarantined_share: Option<S<f64>>,
    /// A source whose newest record is more than this many days older than the newest record
    /// of any source warns (default 14; 0 turns it off).
    pub max_days_behind: Option<S<i64>>,
    /// Sources that must have records in the reported week (default none).
    pub expect_weekly: Option<Vec<S<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPipeline {
    /// Short name; reports go to `reports/<name>/`. Letters, digits, `-` and `_`.
    pub name: S<String>,
    /// IANA zone (`America/Chicago`): weeks and days are cut in this zone.
    pub timezone: S<String>,
    /// ISO country for phone numbers written without a country code (`US`). Default `US`.
    pub default_region: Option<S<String>>,
    /// First day of the reporting week. Default `monday`.
    pub week_starts: Option<S<String>>,
    /// Extra per-event attributes the sources may map (`["worksite", "organizer"]`).
    pub attributes: Option<Vec<S<String>>>,
    /// CSV mapping each source's occasion key to one meeting, with columns `source`, `key`,
    /// `meeting` (a Mobilize timeslot, a Zoom meeting id + date and a sign-in sheet's meeting +
    /// date can then be one meeting). Without it, an attendance matches an RSVP of the same
    /// person on the same local date.
    pub meetings: Option<S<String>>,
    /// Folder that relative paths are resolved against, relative to this file. Default: the
    /// folder holding `pipelines/` (so `data/...` means the project's data folder).
    pub root: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    /// Unique name, used in reports and in the `source` column.
    pub name: S<String>,
    /// Export format: `csv` (generic, with a column mapping) or a tool's own format.
    pub tool: S<String>,
    /// File or glob, relative to the root (`data/demo/signin/*.csv`).
    pub path: S<String>,
    /// People this source treats as organizers (by name or phone); excluded from every funnel.
    pub organizers: Option<Vec<S<String>>>,
    /// Zone of naive timestamps in this source's files. Default: the pipeline's.
    pub timezone: Option<S<String>>,
    /// Region for phone numbers without a country code. Default: the pipeline's.
    pub default_region: Option<S<String>>,

    // ---- keys some tools read (each tool says which in its parser's `accepts`) ----
    /// Day/month order of dates in the export: `dmy`, `mdy` or `ymd`. Default: inferred per
    /// file (chat exports, locale-dependent CSVs); an ambiguous file is an error naming this key.
    pub date_order: Option<S<String>>,
    /// Group or channel name when the export does not carry it (WhatsApp: default from the file
    /// name `WhatsApp Chat with X.txt`).
    pub group: Option<S<String>>,
    /// Minimum minutes in a meeting to count as attended (Zoom participant reports).
    pub min_minutes: Option<S<i64>>,

    // ---- generic `csv` tool (other tools accept `columns` for declared attributes only) ----
    /// Canonical field or declared attribute → header in the file:
    /// `{ phone = "Phone", ts = "Date", name = "Name" }`. Fields: ts, email, phone, name,
    /// first_name, last_name, external_id, context, occasion, utm_source, utm_medium,
    /// utm_campaign, action (when `action` maps a column), and declared attributes.
    pub columns: Option<S<BTreeMap<String, S<String>>>>,
    /// Constant action (`"attended"`) or a mapping from a column's values:
    /// `{ column = "status", map = { REGISTERED = "rsvp" } }`.
    pub action: Option<S<RawAction>>,
    /// Channel of every row. Default: derived from the action.
    pub channel: Option<S<String>>,
    /// chrono format of the `ts` column (`"%m/%d/%Y"`). Default: inferred from the file.
    pub ts_format: Option<S<String>>,
    /// `,` `;` or `\t`. Default: detected from the header line.
    pub delimiter: Option<S<String>>,
    /// `utf-8` or `windows-1252`. Default: UTF-8 (BOM stripped), else Windows-1252.
    pub encoding: Option<S<String>>,
    /// Constant context (group, list or meeting title) for every row.
    pub context: Option<S<String>>,
    /// The `name` column identifies one person within a context (a chat display name).
    pub name_is_handle: Option<S<bool>>,
    /// Rows to skip on purpose (counted, not quarantined), e.g. texts that were never delivered:
    /// `{ column = "send_status", values = ["ERROR", "NOT_ATTEMPTED"] }`.
    pub skip_when: Option<S<RawSkip>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSkip {
    pub column: String,
    /// Matching ignores case and surrounding spaces.
    pub values: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawAction {
    Constant(String),
    Mapped(RawActionMap),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawActionMap {
    /// Header of the column holding the status.
    pub column: String,
    /// Value in the file → action. Matching ignores case and surrounding spaces.
    pub map: BTreeMap<String, String>,
    /// Values listed here are read and skipped on purpose (counted, not quarantined).
    #[serde(default)]
    pub skip: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIdentity {
    /// Identifiers that link records of one person: any of `email`, `phone`, `external_id`.
    pub match_on: Option<Vec<S<String>>>,
    /// `off` (default) or `probable`: a record with a name and no other identifier joins a
    /// person whose name agrees, when something corroborates it and the candidate is unique.
    pub names: Option<S<String>>,
    /// Lowest name-agreement score (0..1) for a probable link (default 0.85).
    pub name_threshold: Option<S<f64>>,
    /// Regular expression finding the worksite in group titles, meeting titles and worksite
    /// values (`"Store \\d+"`): records at the same worksite corroborate a name.
    pub worksite_pattern: Option<S<String>>,
    /// CSV of `same` / `different` pairs of identifiers that wins over every rule.
    pub overrides: Option<S<String>>,
    /// An email, phone or tool id seen with more than this many clearly different names is not
    /// used to link (default 1).
    pub max_names_per_key: Option<S<i64>>,
    /// Also match emails by their provider's canonical form (Gmail dots and `+tags`; default false).
    pub email_provider_rules: Option<S<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFunnel {
    pub name: S<String>,
    /// How long after entry a conversion still counts: `30d`, `2w`, `12h`.
    pub window: S<String>,
    /// `ordered` (default) or `unordered`.
    pub order: Option<S<String>>,
    /// Breakdown dimensions: `first_channel`, `first_tool`, `source`, `utm_source`,
    /// `utm_medium`, `utm_campaign` or a declared attribute.
    pub breakdowns: Option<Vec<S<String>>>,
    /// The ladder, first rung first.
    pub stages: S<Vec<S<RawStage>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStage {
    pub name: S<String>,
    pub when: S<RawWhen>,
}

/// A stage predicate: every key given must match (AND); a list matches any of its values (OR).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWhen {
    pub action: Option<S<OneOrMany>>,
    pub source: Option<S<OneOrMany>>,
    pub tool: Option<S<OneOrMany>>,
    pub channel: Option<S<OneOrMany>>,
    pub context: Option<S<OneOrMany>>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn values(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReport {
    /// Suppress any published count below this (default 10).
    pub min_cell: Option<S<i64>>,
    /// Weeks of entry cohorts shown (default 12).
    pub cohort_weeks: Option<S<i64>>,
    /// Write the organizers' person-level action lists to `restricted/<pipeline>/` (default false).
    pub action_lists: Option<S<bool>>,
}
