//! `erkin`: the command line. Argument parsing and human-facing output only;
//! every rule lives in `erkin-core`, every byte on disk in `erkin-store`.

mod advice;
mod articles;
mod ballot;
mod batch;
mod cli;
mod commands;
mod copies;
mod demo;
mod desk;
mod exit;
mod govern;
mod mirrors;
mod prove;
mod read;
mod secret;
mod term;
mod tips;
mod when;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = commands::run(cli);
    if std::env::var_os(secret::REPORT_DERIVATIONS_ENV).is_some_and(|v| !v.is_empty()) {
        eprintln!(
            "erkin: key derivations: {}",
            erkin_store::keyfile::derivations()
        );
    }
    match result {
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
