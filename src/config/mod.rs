//! The pipeline file: read, validate, resolve.
//!
//! Takes: a path to `pipelines/<campaign>.toml`. Gives: a [`Plan`] with nothing left optional,
//! that every stage consumes. Promises: three steps, as in ruff and ripgrep — the raw serde mirror
//! ([`raw`]), validation that gathers EVERY problem with file:line:column and a hint
//! ([`validate`]), then the resolved plan. No input data is read here (only the file system is
//! asked which files a glob matches); header checks against the inputs live in `ingest::preflight`.

pub mod raw;
pub mod validate;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::Weekday;
use chrono_tz::Tz;

use crate::error::{Diagnostic, Result, TurnoutError};
use crate::schema::{Action, Channel, Tool};

/// A validated pipeline, ready to run.
#[derive(Debug, Clone)]
pub struct Plan {
    pub name: String,
    /// The pipeline file as given.
    pub path: PathBuf,
    /// Folder that relative paths (inputs, reports) are resolved against.
    pub root: PathBuf,
    /// SHA-256 of the pipeline file's bytes.
    pub hash: String,
    pub timezone: Tz,
    pub default_region: phonenumber::country::Id,
    pub week_start: Weekday,
    /// Declared attribute names, in column order.
    pub attributes: Vec<String>,
    /// The meetings table (empty without one): source's occasion key → meeting.
    pub meetings: Vec<MeetingKey>,
    pub sources: Vec<SourcePlan>,
    pub identity: IdentityPlan,
    pub funnels: Vec<FunnelPlan>,
    pub report: ReportPlan,
    pub checks: ChecksPlan,
}

/// Data-quality thresholds: crossing one publishes the report but exits 1.
#[derive(Debug, Clone)]
pub struct ChecksPlan {
    pub max_quarantined_share: f64,
    /// 0: off.
    pub max_days_behind: u32,
    pub expect_weekly: Vec<String>,
}

impl Default for ChecksPlan {
    fn default() -> Self {
        ChecksPlan {
            max_quarantined_share: 0.05,
            max_days_behind: 14,
            expect_weekly: Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SourcePlan {
    pub name: String,
    pub tool: Tool,
    /// The path or glob as written.
    pub pattern: String,
    /// Files the glob matched, sorted.
    pub files: Vec<PathBuf>,
    pub organizers: Vec<String>,
    pub timezone: Tz,
    pub region: phonenumber::country::Id,
    /// The generic csv tool's mapping (`Some` exactly when `tool = "csv"`).
    pub csv: Option<CsvOptions>,
    /// Declared attribute index → header, for tools other than csv (`columns = { worksite = "Store" }`).
    pub attr_columns: Vec<(usize, String)>,
    pub date_order: Option<DateOrder>,
    pub group: Option<String>,
    pub min_minutes: Option<u32>,
    /// Where the `[[source]]` table starts in the pipeline file (for messages).
    pub line: usize,
}

impl SourcePlan {
    /// A display name identifies one person within its group: true for chat exports, and for
    /// csv sources that say `name_is_handle = true`.
    pub fn names_are_handles(&self) -> bool {
        match &self.csv {
            Some(c) => c.name_is_handle,
            None => matches!(
                self.tool,
                Tool::Whatsapp | Tool::Telegram | Tool::Signal | Tool::Slack | Tool::Discord
            ),
        }
    }
}

/// Order of day, month and year in numeric dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    Dmy,
    Mdy,
    Ymd,
}

impl DateOrder {
    pub fn parse(s: &str) -> Option<DateOrder> {
        match s.trim().to_ascii_lowercase().as_str() {
            "dmy" => Some(DateOrder::Dmy),
            "mdy" => Some(DateOrder::Mdy),
            "ymd" => Some(DateOrder::Ymd),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DateOrder::Dmy => "dmy",
            DateOrder::Mdy => "mdy",
            DateOrder::Ymd => "ymd",
        }
    }
}

/// One row of the pipeline's meetings table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingKey {
    pub source: String,
    pub key: String,
    pub meeting: String,
}

/// Canonical fields a generic CSV column can be mapped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Ts,
    Email,
    Phone,
    Name,
    FirstName,
    LastName,
    ExternalId,
    Context,
    Occasion,
    UtmSource,
    UtmMedium,
    UtmCampaign,
}

impl Field {
    pub const ALL: &'static [(&'static str, Field)] = &[
        ("ts", Field::Ts),
        ("email", Field::Email),
        ("phone", Field::Phone),
        ("name", Field::Name),
        ("first_name", Field::FirstName),
        ("last_name", Field::LastName),
        ("external_id", Field::ExternalId),
        ("context", Field::Context),
        ("occasion", Field::Occasion),
        ("utm_source", Field::UtmSource),
        ("utm_medium", Field::UtmMedium),
        ("utm_campaign", Field::UtmCampaign),
    ];

    pub fn parse(s: &str) -> Option<Field> {
        Field::ALL.iter().find(|(n, _)| *n == s).map(|(_, f)| *f)
    }
}

/// Where a mapped CSV column goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Field(Field),
    /// Index into [`Plan::attributes`].
    Attr(usize),
}

#[derive(Debug, Clone)]
pub struct CsvOptions {
    /// Target → header name, as written in the pipeline.
    pub columns: Vec<(Target, String)>,
    pub action: ActionSpec,
    pub channel: Option<Channel>,
    pub ts_format: Option<String>,
    pub delimiter: Option<u8>,
    pub encoding: Option<&'static encoding_rs::Encoding>,
    pub context: Option<String>,
    pub name_is_handle: bool,
    /// (header, lower-cased values): rows whose value is listed are skipped on purpose.
    pub skip_when: Option<(String, Vec<String>)>,
}

#[derive(Debug, Clone)]
pub enum ActionSpec {
    Constant(Action),
    Mapped {
        column: String,
        /// Lower-cased, trimmed value → action.
        map: Vec<(String, Action)>,
        /// Lower-cased, trimmed values skipped on purpose.
        skip: Vec<String>,
    },
}

#[derive(Debug, Clone)]
pub struct IdentityPlan {
    pub match_on: Vec<IdKind>,
    /// Probable links by name (`names = "probable"`).
    pub probable_names: bool,
    pub name_threshold: f64,
    pub worksite_pattern: Option<regex::Regex>,
    /// The overrides CSV, resolved against the root.
    pub overrides: Option<PathBuf>,
    pub max_names_per_key: usize,
    pub email_provider_rules: bool,
}

impl Default for IdentityPlan {
    fn default() -> Self {
        IdentityPlan {
            match_on: vec![IdKind::Email, IdKind::Phone, IdKind::ExternalId],
            probable_names: false,
            name_threshold: 0.85,
            worksite_pattern: None,
            overrides: None,
            max_names_per_key: 1,
            email_provider_rules: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IdKind {
    Email,
    Phone,
    ExternalId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Ordered,
    Unordered,
}

#[derive(Debug, Clone)]
pub struct FunnelPlan {
    pub name: String,
    pub window_us: i64,
    pub window_text: String,
    pub order: Order,
    pub breakdowns: Vec<Breakdown>,
    pub stages: Vec<StagePlan>,
}

/// A breakdown: people bucketed by one dimension, first-touch (the first non-null value up to
/// and including entry) or, with `at_stage`, the value on the event that filled that stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breakdown {
    /// As written: `first_channel`, `worksite`, `organizer@Came to a meeting`.
    pub label: String,
    pub dim: Dim,
    pub at_stage: Option<usize>,
}

/// What a breakdown reads from an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    Channel,
    Tool,
    Source,
    Context,
    UtmSource,
    UtmMedium,
    UtmCampaign,
    /// Index into [`Plan::attributes`].
    Attr(usize),
}

#[derive(Debug, Clone)]
pub struct StagePlan {
    pub name: String,
    pub when: Predicate,
}

/// A stage predicate: each `Some` set must contain the event's value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Predicate {
    pub actions: Option<BTreeSet<Action>>,
    pub sources: Option<BTreeSet<String>>,
    pub tools: Option<BTreeSet<Tool>>,
    pub channels: Option<BTreeSet<Channel>>,
    pub contexts: Option<BTreeSet<String>>,
}

#[derive(Debug, Clone)]
pub struct ReportPlan {
    pub min_cell: u64,
    pub cohort_weeks: usize,
    /// Write the organizers' action lists (names people; owner-only, never linked).
    pub action_lists: bool,
}

impl Plan {
    /// Folder of this pipeline's reports: `<root>/reports/<name>`.
    pub fn reports_dir(&self) -> PathBuf {
        self.root.join("reports").join(&self.name)
    }

    /// Folder of this pipeline's person-level tables (pseudonymised, owner-only).
    /// Folder of this pipeline's organizer action lists: `<root>/restricted/<name>`.
    pub fn restricted_dir(&self) -> PathBuf {
        self.root.join("restricted").join(&self.name)
    }

    pub fn work_dir(&self) -> PathBuf {
        self.root.join("work").join(&self.name)
    }

    pub fn shown(&self, p: &Path) -> String {
        crate::error::shown_path(p, &self.root)
    }
}

/// Reads and validates a pipeline file: every problem is reported at once.
pub fn load(path: &Path) -> Result<Plan> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        TurnoutError::Config(vec![Diagnostic::new(
            path.display().to_string(),
            0,
            0,
            format!("cannot read the pipeline file: {e}"),
        )
        .hint("pass the path of a pipelines/<campaign>.toml file, e.g. `turnout check pipelines/demo.toml`")])
    })?;
    validate::validate(path, &text)
}

/// The default pipeline: `pipelines/demo.toml` under the current folder.
pub fn default_pipeline() -> PathBuf {
    PathBuf::from("pipelines").join("demo.toml")
}
