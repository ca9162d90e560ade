//! Errors a data lead can act on, and the exit codes of `turnout`.
//!
//! Takes: failures from every stage. Gives: [`Diagnostic`] (what, where as file:line:column, and a
//! hint saying how to fix it), [`TurnoutError`] grouping them by category, and [`ExitCode`].
//! Promises: no personal data (phones, emails, names, message text) in any message built here;
//! callers pass positions and column names, never cell values.

use std::fmt;
use std::path::Path;

/// Process exit codes (DESIGN.md §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// The report was published.
    Published = 0,
    /// The report was published, but data quality is below the pipeline's thresholds.
    PublishedWithWarnings = 1,
    /// The pipeline file or the command line is wrong.
    BadConfig = 2,
    /// An input file could not be read.
    BadInput = 3,
    /// turnout itself failed (a bug, a full disk, a permission problem).
    Internal = 4,
    /// Another run of the same pipeline is in progress.
    Busy = 5,
}

/// One problem, located and with a fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    /// 1-based; 0 when the problem is about the whole file.
    pub line: usize,
    /// 1-based; 0 when unknown.
    pub column: usize,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(file: impl Into<String>, line: usize, column: usize, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.into(),
            line,
            column,
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        write!(f, ": {}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// Every way a turnout command can fail, by category.
#[derive(Debug, thiserror::Error)]
pub enum TurnoutError {
    #[error("the pipeline file has {} problem(s):\n{}", .0.len(), list(.0))]
    Config(Vec<Diagnostic>),
    #[error("{} input problem(s):\n{}", .0.len(), list(.0))]
    Input(Vec<Diagnostic>),
    #[error("{0}")]
    Busy(Diagnostic),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl TurnoutError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            TurnoutError::Config(_) => ExitCode::BadConfig,
            TurnoutError::Input(_) => ExitCode::BadInput,
            TurnoutError::Busy(_) => ExitCode::Busy,
            TurnoutError::Internal(_) => ExitCode::Internal,
        }
    }

    pub fn input(d: Diagnostic) -> Self {
        TurnoutError::Input(vec![d])
    }
}

impl From<std::io::Error> for TurnoutError {
    fn from(e: std::io::Error) -> Self {
        TurnoutError::Internal(e.into())
    }
}

#[cfg(feature = "engine")]
impl From<polars::error::PolarsError> for TurnoutError {
    fn from(e: polars::error::PolarsError) -> Self {
        TurnoutError::Internal(e.into())
    }
}

fn list(ds: &[Diagnostic]) -> String {
    ds.iter()
        .map(|d| format!("  {}", d.to_string().replace('\n', "\n  ")))
        .collect::<Vec<_>>()
        .join("\n")
}

pub type Result<T, E = TurnoutError> = std::result::Result<T, E>;

/// A path as shown to users: relative to `root` when it is inside it.
pub fn shown_path(path: &Path, root: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}
