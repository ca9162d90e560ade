//! The one contract between stages: every table's column names, types and enums.
//!
//! Takes nothing; gives the canonical event (DESIGN.md §2) as a Rust record ([`Event`]) and as a
//! polars table ([`events_frame`]), the enums for tool, channel, action and timestamp precision,
//! and the column names of every table turnout writes. Promises: no other module spells a column
//! name as a string literal; every Parquet table turnout writes is built from a schema defined here.

use std::fmt;
use std::str::FromStr;

pub use crate::intern::Str;

/// Column names. One constant per column, shared by every table that has that column.
pub mod col {
    pub const EVENT_ID: &str = "event_id";
    pub const TS: &str = "ts";
    pub const TS_PRECISION: &str = "ts_precision";
    pub const SOURCE: &str = "source";
    pub const TOOL: &str = "tool";
    pub const CHANNEL: &str = "channel";
    pub const ACTION: &str = "action";
    pub const EMAIL: &str = "email";
    pub const PHONE: &str = "phone";
    pub const NAME: &str = "name";
    pub const EXTERNAL_ID: &str = "external_id";
    pub const CONTEXT: &str = "context";
    pub const OCCASION: &str = "occasion";
    pub const UTM_SOURCE: &str = "utm_source";
    pub const UTM_MEDIUM: &str = "utm_medium";
    pub const UTM_CAMPAIGN: &str = "utm_campaign";
    pub const ORGANIZER: &str = "organizer";
    pub const ORIGIN: &str = "origin";

    // identity
    pub const PERSON_ID: &str = "person_id";
    pub const RECORD: &str = "record";
    pub const KEY_KIND: &str = "key_kind";
    pub const KEY: &str = "key";
    pub const RULE: &str = "rule";
    /// Links: the second key of a merge, its kind, the name score and the corroboration.
    pub const OTHER_KEY_KIND: &str = "other_key_kind";
    pub const OTHER_KEY: &str = "other_key";
    pub const SCORE: &str = "score";
    pub const EVIDENCE: &str = "evidence";
    /// Persons: the pseudonymised best name.
    pub const NAME_TOKEN: &str = "name_token";
    pub const FIRST_SEEN: &str = "first_seen";
    pub const EVENTS: &str = "events";
    pub const IDENTIFIERS: &str = "identifiers";
    pub const IS_ORGANIZER: &str = "is_organizer";

    // timeline
    pub const SEQ: &str = "seq";

    // funnel per person
    pub const FUNNEL: &str = "funnel";
    pub const STAGE: &str = "stage";
    pub const STAGE_NAME: &str = "stage_name";
    pub const FURTHEST_STAGE: &str = "furthest_stage";
    pub const COHORT: &str = "cohort";
    pub const ENTRY_TS: &str = "entry_ts";

    // quarantine
    pub const FILE: &str = "file";
    pub const LINE: &str = "line";
    pub const COLUMN: &str = "column";
    pub const REASON: &str = "reason";
}

/// The canonical columns, in table order, before the pipeline's declared attribute columns.
pub const EVENT_COLUMNS: &[&str] = &[
    col::EVENT_ID,
    col::TS,
    col::TS_PRECISION,
    col::SOURCE,
    col::TOOL,
    col::CHANNEL,
    col::ACTION,
    col::EMAIL,
    col::PHONE,
    col::NAME,
    col::EXTERNAL_ID,
    col::CONTEXT,
    col::OCCASION,
    col::UTM_SOURCE,
    col::UTM_MEDIUM,
    col::UTM_CAMPAIGN,
    col::ORGANIZER,
    col::ORIGIN,
];

/// The polars schema of the `events` and `timeline` tables (timeline adds `seq` first):
/// the canonical columns, `person_id`, then the pipeline's declared attributes (nullable strings).
/// Identifier columns hold keyed pseudonyms in every table turnout writes.
#[cfg(feature = "engine")]
pub fn events_schema(attributes: &[String]) -> polars::prelude::Schema {
    use polars::prelude::{DataType, Field, TimeUnit, TimeZone};
    let mut fields = Vec::new();
    for &c in EVENT_COLUMNS {
        let dtype = match c {
            col::EVENT_ID => DataType::UInt64,
            col::TS => DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)),
            col::ORGANIZER => DataType::Boolean,
            _ => DataType::String,
        };
        fields.push(Field::new(c.into(), dtype));
    }
    fields.push(Field::new(col::PERSON_ID.into(), DataType::String));
    for a in attributes {
        fields.push(Field::new(a.as_str().into(), DataType::String));
    }
    polars::prelude::Schema::from_iter(fields)
}

/// Defines a string-backed enum with `as_str`, `FromStr`, `Display` and `ALL`.
macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($s => Ok($name::$variant),)+
                    _ => Err(format!(
                        "unknown {} {:?}; expected one of: {}",
                        stringify!($name).to_lowercase(),
                        s,
                        [$($s),+].join(", ")
                    )),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

str_enum!(
    /// How precise an export's timestamp is. An event's `ts` is the start of this interval.
    Precision {
        Second => "second",
        Minute => "minute",
        Day => "day",
    }
);

str_enum!(
    /// The export format a source is read with (one parser per tool in `ingest/`).
    Tool {
        Whatsapp => "whatsapp",
        Telegram => "telegram",
        Signal => "signal",
        Slack => "slack",
        Discord => "discord",
        Spoke => "spoke",
        Mailchimp => "mailchimp",
        ActionNetwork => "action_network",
        Mobilize => "mobilize",
        Van => "van",
        Eventbrite => "eventbrite",
        Zoom => "zoom",
        Csv => "csv",
    }
);

str_enum!(
    /// The kind of space an event happened in.
    Channel {
        Messaging => "messaging",
        Sms => "sms",
        Email => "email",
        Event => "event",
        Form => "form",
        Other => "other",
    }
);

str_enum!(
    /// What happened, from the point of view of the person the row is about.
    Action {
        GroupJoined => "group_joined",
        GroupAdded => "group_added",
        GroupLeft => "group_left",
        MessageSent => "message_sent",
        EmailSubscribed => "email_subscribed",
        EmailUnsubscribed => "email_unsubscribed",
        EmailOpened => "email_opened",
        EmailClicked => "email_clicked",
        TextSent => "text_sent",
        TextReceived => "text_received",
        OptedOut => "opted_out",
        ContactAttempted => "contact_attempted",
        Rsvp => "rsvp",
        RsvpConfirmed => "rsvp_confirmed",
        RsvpCancelled => "rsvp_cancelled",
        Declined => "declined",
        Attended => "attended",
        NoShow => "no_show",
        FormSubmitted => "form_submitted",
    }
);

impl Action {
    /// The channel an action belongs to when the source does not say.
    pub fn default_channel(self) -> Channel {
        use Action::*;
        match self {
            GroupJoined | GroupAdded | GroupLeft | MessageSent => Channel::Messaging,
            EmailSubscribed | EmailUnsubscribed | EmailOpened | EmailClicked => Channel::Email,
            TextSent | TextReceived | OptedOut => Channel::Sms,
            ContactAttempted => Channel::Other,
            Rsvp | RsvpConfirmed | RsvpCancelled | Declined | Attended | NoShow => Channel::Event,
            FormSubmitted => Channel::Form,
        }
    }
}

/// One canonical event, as a parser produces it (identifiers raw, as seen in the export).
///
/// Texts are interned ([`Str`]): an event is about a hundred bytes whatever its strings, so tens
/// of millions of them fit in memory (README, Performance).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Event {
    pub event_id: u64,
    /// Microseconds since the Unix epoch, UTC; the start of the precision interval.
    pub ts: i64,
    pub precision: Precision,
    pub source: Str,
    pub tool: Tool,
    pub channel: Channel,
    pub action: Action,
    pub email: Option<Str>,
    pub phone: Option<Str>,
    pub name: Option<Str>,
    pub external_id: Option<Str>,
    pub context: Option<Str>,
    pub occasion: Option<Str>,
    pub utm_source: Option<Str>,
    pub utm_medium: Option<Str>,
    pub utm_campaign: Option<Str>,
    /// Values of the pipeline's declared attributes, in the order the pipeline declares them.
    pub attrs: Attrs,
    /// The person this row is about is an organizer declared by the source.
    pub organizer: bool,
    /// Where the record is in its export (shown as `path:line`).
    pub origin: Origin,
}

/// An event's attribute values: up to three inline (no allocation per event: tens of millions of
/// events carry them), more on the heap. Reads and writes as a slice.
#[derive(Clone)]
pub enum Attrs {
    Inline(u8, [Option<Str>; 3]),
    Heap(Box<Vec<Option<Str>>>),
}

impl Default for Attrs {
    fn default() -> Self {
        Attrs::Inline(0, [None; 3])
    }
}

impl Attrs {
    /// `n` values, all none.
    pub fn nones(n: usize) -> Attrs {
        match n {
            0..=3 => Attrs::Inline(n as u8, [None; 3]),
            _ => Attrs::Heap(Box::new(vec![None; n])),
        }
    }
}

impl FromIterator<Option<Str>> for Attrs {
    fn from_iter<I: IntoIterator<Item = Option<Str>>>(it: I) -> Attrs {
        let mut a = Attrs::nones(0);
        for v in it {
            a = match a {
                Attrs::Inline(n, mut x) if n < 3 => {
                    x[n as usize] = v;
                    Attrs::Inline(n + 1, x)
                }
                Attrs::Inline(_, x) => Attrs::Heap(Box::new(x.into_iter().chain([v]).collect())),
                Attrs::Heap(mut h) => {
                    h.push(v);
                    Attrs::Heap(h)
                }
            };
        }
        a
    }
}

impl From<Vec<Option<Str>>> for Attrs {
    fn from(v: Vec<Option<Str>>) -> Attrs {
        match v.len() {
            n @ 0..=3 => {
                let mut a = [None; 3];
                a[..n].copy_from_slice(&v);
                Attrs::Inline(n as u8, a)
            }
            _ => Attrs::Heap(Box::new(v)),
        }
    }
}

impl std::ops::Deref for Attrs {
    type Target = [Option<Str>];
    fn deref(&self) -> &[Option<Str>] {
        match self {
            Attrs::Inline(n, a) => &a[..*n as usize],
            Attrs::Heap(v) => v,
        }
    }
}

impl std::ops::DerefMut for Attrs {
    fn deref_mut(&mut self) -> &mut [Option<Str>] {
        match self {
            Attrs::Inline(n, a) => &mut a[..*n as usize],
            Attrs::Heap(v) => v,
        }
    }
}

impl PartialEq for Attrs {
    fn eq(&self, other: &Attrs) -> bool {
        **self == **other
    }
}

impl fmt::Debug for Attrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl serde::Serialize for Attrs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Attrs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Attrs, D::Error> {
        Ok(Vec::<Option<Str>>::deserialize(d)?.into())
    }
}

/// Where a record is in its export: the file as the run shows it (relative to the pipeline's
/// root; a zip member as `archive.zip!member`) and the 1-based line where the record starts (the
/// record's index for JSON exports). Shown, compared and stored as `file:line`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    pub file: Str,
    pub line: u64,
}

impl Origin {
    pub fn new(file: &str, line: u64) -> Origin {
        Origin {
            file: Str::new(file),
            line,
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

impl std::fmt::Debug for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// `file:line` (a text without a `:line` ending is a file at line 0).
impl From<&str> for Origin {
    fn from(s: &str) -> Origin {
        match s.rsplit_once(':').and_then(|(f, l)| Some((f, l.parse::<u64>().ok()?))) {
            Some((f, l)) => Origin::new(f, l),
            None => Origin::new(s, 0),
        }
    }
}

impl PartialEq<&str> for Origin {
    fn eq(&self, other: &&str) -> bool {
        other
            .rsplit_once(':')
            .is_some_and(|(f, l)| self.file == f && l.parse::<u64>().ok() == Some(self.line))
    }
}

impl PartialEq<str> for Origin {
    fn eq(&self, other: &str) -> bool {
        *self == other
    }
}

impl serde::Serialize for Origin {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (self.file, self.line).serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Origin {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Origin, D::Error> {
        let (file, line) = <(Str, u64)>::deserialize(d)?;
        Ok(Origin { file, line })
    }
}

/// One row that could not become an event, kept with the reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QuarantinedRow {
    pub source: String,
    pub file: String,
    /// 1-based line where the record starts.
    pub line: u64,
    /// The column (header name) at fault, if one is.
    pub column: Option<String>,
    /// A short, stable reason code such as `bad_timestamp`; never personal data.
    pub reason: String,
    /// Human detail without personal data (expected format, etc.).
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_read_as_a_slice_inline_or_not() {
        for n in 0..6 {
            let v: Vec<Option<Str>> = (0..n).map(|i| (i % 2 == 0).then(|| Str::new(&format!("site {i}")))).collect();
            let mut a = Attrs::from(v.clone());
            assert_eq!(&*a, &v[..]);
            assert_eq!(matches!(a, Attrs::Inline(..)), n <= 3);
            assert_eq!(&*v.iter().copied().collect::<Attrs>(), &v[..]);
            assert_eq!(Attrs::nones(n).len(), n);
            if n > 0 {
                a[n - 1] = Some(Str::new("changed"));
                assert_eq!(a[n - 1], Some(Str::new("changed")));
            }
        }
        assert_eq!(std::mem::size_of::<Attrs>(), 16);
    }

    #[test]
    fn enums_round_trip_through_their_names() {
        for a in Action::ALL {
            assert_eq!(a.as_str().parse::<Action>().unwrap(), *a);
        }
        for t in Tool::ALL {
            assert_eq!(t.as_str().parse::<Tool>().unwrap(), *t);
        }
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>().unwrap(), *c);
        }
        let err = "attend".parse::<Action>().unwrap_err();
        assert!(err.contains("attended"), "the error lists the valid names: {err}");
    }

    #[test]
    fn precision_orders_finest_first() {
        assert!(Precision::Second < Precision::Minute && Precision::Minute < Precision::Day);
    }

    #[test]
    fn events_schema_has_every_canonical_column_then_attributes() {
        let s = events_schema(&["worksite".to_string()]);
        let names: Vec<String> = s.iter_names().map(|n| n.to_string()).collect();
        assert_eq!(names.len(), EVENT_COLUMNS.len() + 2);
        assert_eq!(names[0], col::EVENT_ID);
        assert_eq!(names.last().unwrap(), "worksite");
    }
}
