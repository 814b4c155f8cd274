//! The `il2care` binary: parses the command line, runs one command, maps the outcome to an exit code.
//!
//! Exit codes (spec/INTERFACES.md): 0 done, 2 refused input (message on stderr naming the field), 1 anything
//! else. Each command lives in its own module and returns [`Outcome`]; nothing clinical is decided here.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod assess;
mod audit;
mod batch;
mod clock;
mod dose;
mod education;
mod fhir;
mod input;
mod schedule;
mod screen;
mod serve;
mod triage;

/// il2care: decision support for interleukin-2 (aldesleukin) therapy. A clinician always decides.
#[derive(Parser, Debug)]
#[command(name = "il2care", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Dose calculation for a regimen: IU, mg, volume, vials, bag, concentration.
    /// Runs the web application and API (SQLite file by default; postgres:// URLs for PostgreSQL).
    Serve(serve::Args),
    /// Copies the SQLite database to a file, consistently, while the service may be running.
    Backup(serve::BackupArgs),
    /// Replaces the SQLite database with a backup (stop the service first).
    Restore(serve::RestoreArgs),
    Dose(dose::Args),
    /// The dose slots of a course, in the patient's time zone.
    Schedule(schedule::Args),
    /// The per-dose decision (give / hold / stop) for an assessment document (FILE or - for stdin); with
    /// --jsonl, one document per line.
    Assess(Evaluate<assess::Args>),
    /// The triage result for a patient's check-in document (FILE or - for stdin); with --jsonl, one per line.
    Triage(Evaluate<triage::Args>),
    /// Pre-treatment screening: eligibility checklist, interactions, contrast flag, premedication (FILE or -);
    /// with --jsonl, one document per line.
    Screen(Evaluate<screen::Args>),
    /// The patient education sheet, as text or printable HTML.
    Education(education::Args),
    /// A patient's record as a FHIR R4 Bundle (collection) to stdout or --output FILE.
    Export(fhir::ExportArgs),
    /// A FHIR R4 Bundle (transaction: all or nothing; collection: each valid resource) into the record.
    Import(fhir::ImportArgs),
    /// The audit log: `verify` checks its hash chain (exit 1 naming the first changed or removed entry).
    Audit(audit::Args),
}

/// An evaluating command's arguments, plus `--jsonl` for many documents in one run (`batch`).
#[derive(clap::Args, Debug)]
struct Evaluate<A: clap::Args> {
    #[command(flatten)]
    single: A,
    /// Read FILE (or -) as JSON Lines: one document per line, one compact result JSON per line on stdout in
    /// the same order ({"line": N, "error": {"field", "message"}} for a refused or blank line), a summary on
    /// stderr; exit 0 unless the input cannot be read.
    #[arg(long)]
    jsonl: bool,
}

/// How a command ended, short of a bug.
pub enum Failure {
    /// The input was refused; exit code 2.
    Refused(il2care_core::Refusal),
    /// Anything else (a file that cannot be read); exit code 1.
    Other(anyhow::Error),
}

impl From<il2care_core::Refusal> for Failure {
    fn from(refusal: il2care_core::Refusal) -> Self {
        Failure::Refused(refusal)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure::Other(error)
    }
}

/// What every command returns.
pub type Outcome = Result<(), Failure>;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap's own messages (missing or unknown arguments) are refused input too.
            let code = if error.use_stderr() { 2 } else { 0 };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    let outcome = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Backup(args) => serve::backup(args),
        Command::Restore(args) => serve::restore(args),
        Command::Dose(args) => dose::run(args),
        Command::Schedule(args) => schedule::run(args),
        Command::Assess(args) if args.jsonl => batch::run(batch::Kind::Assess, &args.single.file),
        Command::Assess(args) => assess::run(args.single),
        Command::Triage(args) if args.jsonl => batch::run(batch::Kind::Triage, &args.single.file),
        Command::Triage(args) => triage::run(args.single),
        Command::Screen(args) if args.jsonl => batch::run(batch::Kind::Screen, &args.single.file),
        Command::Screen(args) => screen::run(args.single),
        Command::Education(args) => education::run(args),
        Command::Export(args) => fhir::export(args),
        Command::Import(args) => fhir::import(args),
        Command::Audit(args) => audit::run(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Refused(refusal)) => {
            eprintln!("refused: {}: {}", refusal.field, refusal.reason);
            ExitCode::from(2)
        }
        Err(Failure::Other(error)) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}
