//! `erkin`: the command line. Argument parsing and human-facing output only;
//! every rule lives in `erkin-core`, every byte on disk in `erkin-store`.

mod advice;
mod articles;
mod cli;
mod commands;
mod copies;
mod demo;
mod desk;
mod exit;
mod govern;
mod mirrors;
mod read;
mod secret;
mod term;
mod tips;
mod when;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            match e.downcast_ref::<clap::Error>() {
                // A usage error found after parsing: clap's own words.
                Some(usage) => {
                    let _ = usage.print();
                }
                None => {
                    eprintln!("erkin: error: {e:#}");
                    if let Some(hint) = advice::of_error(&e) {
                        eprintln!("erkin: hint: {hint}");
                    }
                }
            }
            ExitCode::from(exit::of_error(&e))
        }
    }
}
