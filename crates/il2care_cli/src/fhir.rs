//! `il2care export` and `il2care import`: a patient's record as a FHIR R4 collection Bundle, and a Bundle
//! (transaction or collection) into the record, answered with the FHIR outcome on stdout.
//!
//! Glue only: the application layer's use cases read and store the record (`il2care_app::fhir`: access and
//! audit through its policy), the wire crate writes and reads FHIR. Both commands act as the operator
//! (`Actor::operator()`, audited as the local user `il2care-cli`); nothing clinical is decided here. The
//! injection log's rules an import applies come in from `main.rs` (the service's, until they move).
//! A large import shows a progress bar on stderr, only when stderr is a terminal (never in tests or pipes).

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use anyhow::Context;
use il2care_app::Actor;
use il2care_app::fhir::{
    BundleText, ImportAnswer, ImportProgress, export_patient, import_bundle, write_operation_outcome,
};
use il2care_core::Refusal;
use il2care_store::Store;
use il2care_wire::fhir::export::{BundleType, bundle};

use crate::Outcome;

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// The patient's record id.
    #[arg(long)]
    patient: i64,
    /// Database URL: sqlite://PATH (default: DATA_DIR/il2care.db) or postgres://user@host/db.
    #[arg(long, env = "IL2CARE_DATABASE_URL")]
    database: Option<String>,
    /// Folder of the embedded database.
    #[arg(long, env = "IL2CARE_DATA_DIR", default_value = "il2care-data")]
    data_dir: PathBuf,
    /// Write the Bundle to FILE instead of stdout.
    #[arg(long)]
    output: Option<PathBuf>,
    /// The FHIR base URL the entries' fullUrls are built on.
    #[arg(long, default_value = "http://localhost/fhir")]
    base: String,
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// A FHIR R4 Bundle (JSON), or - for stdin.
    file: String,
    /// Database URL: sqlite://PATH (default: DATA_DIR/il2care.db) or postgres://user@host/db.
    #[arg(long, env = "IL2CARE_DATABASE_URL")]
    database: Option<String>,
    /// Folder of the embedded database.
    #[arg(long, env = "IL2CARE_DATA_DIR", default_value = "il2care-data")]
    data_dir: PathBuf,
    /// The identifier system (URI) of this site's MRNs: a Patient's MRN is its identifier of this system
    /// (else il2care's own, else the one of type MR), never simply the first.
    #[arg(long, env = "IL2CARE_MRN_SYSTEM", default_value = il2care_wire::fhir::import::DEFAULT_MRN_SYSTEM,
          value_parser = mrn_system)]
    mrn_system: String,
}

/// An MRN identifier system: an absolute URI (`https://...`, `urn:oid:...`), no spaces.
pub fn mrn_system(text: &str) -> Result<String, String> {
    let scheme = text.split_once(':').map(|(scheme, _)| scheme).unwrap_or("");
    let fits = !scheme.is_empty()
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && text.len() <= 255
        && !text.chars().any(|c| c.is_whitespace() || c.is_control());
    if fits { Ok(text.to_string()) } else { Err("must be an absolute URI such as https://hospital.example/mrn".into()) }
}

fn database_url(database: Option<String>, data_dir: &std::path::Path) -> anyhow::Result<String> {
    match database {
        Some(url) => Ok(url),
        None => {
            std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
            Ok(format!("sqlite://{}", data_dir.join("il2care.db").display()))
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")
}

/// `il2care export --patient ID`.
pub fn export(args: ExportArgs) -> Outcome {
    let url = database_url(args.database, &args.data_dir)?;
    let text = runtime()?.block_on(async move {
        let store = Store::open(&url).await.context("opening the database")?;
        let now = crate::clock::now();
        let record = match export_patient(&store, &Actor::operator(), args.patient, true, now).await {
            Ok(record) => record,
            Err(il2care_app::Error::NotFound(what)) => {
                return Err(crate::Failure::Refused(Refusal::new("--patient", format!("{what} is not in the record"))));
            }
            Err(error) => return Err(anyhow::anyhow!("reading the record: {error}").into()),
        };
        store.close().await;
        let bundle = bundle(&record, BundleType::Collection, &args.base, now.as_millisecond());
        serde_json::to_string_pretty(&bundle).context("writing JSON").map_err(crate::Failure::from)
    })?;
    match args.output {
        Some(path) => std::fs::write(&path, text + "\n").with_context(|| format!("writing {}", path.display()))?,
        None => println!("{text}"),
    }
    Ok(())
}

/// The import's bar: checking the Bundle, then one step per item stored. Hidden unless stderr is a terminal,
/// so pipes, logs and tests see only the outcome.
fn progress_bar(bytes: usize) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(format!("checking the Bundle ({} KiB)", bytes / 1024));
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// The bar once the number of items is known.
fn storing_style() -> indicatif::ProgressStyle {
    indicatif::ProgressStyle::with_template("{spinner} storing [{bar:30}] {pos}/{len} items ({elapsed})")
        .map(|style| style.progress_chars("=> "))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
}

/// `il2care import FILE`: prints the OperationOutcome (or transaction- or batch-response). Exit 0 when the
/// Bundle was read and what could be stored was stored (the rest reported); exit 2 only when nothing was
/// stored (a Bundle that cannot be read, a refused transaction, a collection with no resource to keep).
pub fn import(args: ImportArgs) -> Outcome {
    // A regular file is read once for the Bundle's index, then its entries again a chunk at a time (its text is
    // not held while it is stored); standard input, a pipe (`/dev/stdin`, `<(...)`) or a device is held
    // ([`BundleText::of_file`]).
    let mut bytes = Vec::new();
    let file = if args.file == "-" {
        std::io::stdin().read_to_end(&mut bytes).context("reading stdin")?;
        None
    } else {
        let mut file = std::fs::File::open(&args.file).with_context(|| format!("reading {}", args.file))?;
        file.read_to_end(&mut bytes).with_context(|| format!("reading {}", args.file))?;
        Some(file)
    };
    // Text that is not UTF-8 is answered as a bad Bundle is, with an OperationOutcome (as `POST /fhir` does).
    let Ok(text) = String::from_utf8(bytes) else {
        let outcome = il2care_wire::fhir::import::refused_bundle("document: is not valid UTF-8".to_string());
        println!("{}", serde_json::to_string_pretty(&outcome).context("writing JSON")?);
        return Err(Refusal::new(args.file, "is not UTF-8 text (nothing was stored); see the OperationOutcome").into());
    };
    let url = database_url(args.database, &args.data_dir)?;
    let answer = runtime()?.block_on(async move {
        let store = Store::open(&url).await.context("opening the database")?;
        let bar = progress_bar(text.len());
        let report = |progress: ImportProgress| match progress {
            ImportProgress::Checked { items } => {
                bar.set_style(storing_style());
                bar.set_length(items as u64);
                bar.set_position(0);
            }
            ImportProgress::Storing => bar.inc(1),
        };
        let now = crate::clock::now();
        let operator = Actor::operator();
        let text = match file {
            Some(file) => BundleText::of_file(text, file),
            None => BundleText::from(text),
        };
        let answer = import_bundle(&store, &args.mrn_system, &operator, text, now, &report)
            .await
            .map_err(|error| anyhow::anyhow!("importing: {error}"))?;
        bar.finish_and_clear();
        store.close().await;
        anyhow::Ok(answer)
    })?;
    // A stored collection's outcome (one issue per entry) is written one issue at a time.
    let outcome = match answer {
        ImportAnswer::Outcome(outcome) => outcome,
        ImportAnswer::Collection { issues, .. } => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            write_operation_outcome(issues, &mut out).context("writing JSON")?;
            writeln!(out).context("writing JSON")?;
            out.flush().context("writing JSON")?;
            return Ok(());
        }
    };
    println!("{}", serde_json::to_string_pretty(&outcome.body).context("writing JSON")?);
    if !outcome.status.is_success() {
        let errors = outcome.body["issue"]
            .as_array()
            .map_or(0, |issues| issues.iter().filter(|issue| issue["severity"] == "error").count());
        let stored = if outcome.status.is_success() { "the valid resources were stored" } else { "nothing was stored" };
        return Err(Refusal::new(
            args.file,
            format!("{errors} resources refused ({stored}); see the OperationOutcome"),
        )
        .into());
    }
    Ok(())
}
