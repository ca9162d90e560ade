//! Signal (signal-export) exports (being written): `tool = "signal"`.

use crate::error::Diagnostic;
use crate::schema::Tool;

use super::{Input, Parser, Sink};

pub struct Signal;

impl Parser for Signal {
    fn tool(&self) -> Tool {
        Tool::Signal
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
