//! The `turnout` binary: parse the command line, run, exit with the documented code.

use clap::Parser;

fn main() {
    let cli = turnout::cli::Cli::parse();
    let code = turnout::cli::main_with(cli);
    std::process::exit(code as i32);
}
