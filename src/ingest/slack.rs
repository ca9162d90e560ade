//! Slack exports (being written): `tool = "slack"`.

use crate::error::Diagnostic;
use crate::schema::Tool;

use super::{Input, Parser, Sink};

pub struct Slack;

impl Parser for Slack {
    fn tool(&self) -> Tool {
        Tool::Slack
    }

    fn ready(&self) -> bool {
        false
    }

    fn parse(&self, input: &Input, _sink: &mut Sink) -> Result<(), Diagnostic> {
        Err(Diagnostic::new(&input.shown, 0, 0, "this tool's reader is not written yet"))
    }

    fn preflight(&self, _input: &Input) -> Vec<Diagnostic> {
        Vec::new()
    }
}
