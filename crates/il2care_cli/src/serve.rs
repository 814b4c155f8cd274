//! `il2care serve` and `il2care backup`: configuration from flags and environment, read once; structured
//! logs; a cap on connections, an idle-read timeout, and a graceful shutdown that lets in-flight requests (and
//! their writes) finish within a set time.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use il2care_store::Store;
use il2care_web::cds_auth::CdsIssuers;
use il2care_web::{AppState, router};

use crate::Outcome;

/// The site settings from the flags, the ward's zone checked against the time-zone database (a bad name
/// stops the start, naming the flag).
fn site_settings(args: &Args) -> anyhow::Result<il2care_web::site::Site> {
    let ward_time_zone = match &args.ward_time_zone {
        Some(name) => {
            jiff::tz::TimeZone::get(name)
                .map_err(|_| anyhow::anyhow!("--ward-time-zone: {name:?} is not a time zone of the IANA database"))?;
            name.clone()
        }
        None => jiff::tz::TimeZone::system().iana_name().unwrap_or("UTC").to_string(),
    };
    Ok(il2care_web::site::Site {
        ward_time_zone,
        numbers: il2care_content::SiteNumbers {
            emergency: args.emergency_number.clone(),
            line_24h: args.line_24h.clone(),
            office: args.office_line.clone(),
        },
    })
}

/// Where the embedded database lives unless `--database` says otherwise.
pub(crate) const DEFAULT_DATA_DIR: &str = "il2care-data";

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Database URL: sqlite://PATH (default: DATA_DIR/il2care.db) or postgres://user@host/db.
    #[arg(long, env = "IL2CARE_DATABASE_URL")]
    database: Option<String>,
    /// Folder for the embedded database.
    #[arg(long, env = "IL2CARE_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, env = "IL2CARE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Create the demo ward (users for each role, a few patients) in an empty database.
    #[arg(long)]
    demo: bool,
    /// Fixed password for every demo account (for automated tests); random when not given.
    #[arg(long, env = "IL2CARE_DEMO_PASSWORD", hide_env_values = true)]
    demo_password: Option<String>,
    /// JSON file of the EHRs allowed to call /cds-services with a signed JWT and the service's base URL:
    /// {"issuers": [{"iss": "...", "public_key_pem": "..." | "jwks_file": "...", "fhir_servers": ["https://..."]}],
    /// "audience": "https://..."}; `fhir_servers` (optional) are the FHIR base URLs il2care may read a Patient
    /// from when the EHR sends no prefetch.
    #[arg(long, env = "IL2CARE_CDS_ISSUERS")]
    cds_issuers: Option<PathBuf>,
    /// The ward's time zone (IANA name): the worklist shows every time in it. Default: this machine's zone.
    #[arg(long, env = "IL2CARE_WARD_TIME_ZONE")]
    ward_time_zone: Option<String>,
    /// The emergency number every patient page offers as a tap-to-call link.
    #[arg(long, env = "IL2CARE_EMERGENCY_NUMBER", default_value = "911")]
    emergency_number: String,
    /// The care team's 24-hour line, shown on every patient page.
    #[arg(long, env = "IL2CARE_LINE_24H")]
    line_24h: Option<String>,
    /// The care team's office line, shown on every patient page.
    #[arg(long, env = "IL2CARE_OFFICE_LINE")]
    office_line: Option<String>,
    /// The URL users reach the service at (scheme://host or scheme://host:port): FHIR fullUrls use it, the cross-site check
    /// accepts its origin, and https marks the session cookie Secure. Never taken from request headers.
    /// Default: http://LISTEN (http://localhost:PORT when listening on every address).
    #[arg(long, env = "IL2CARE_PUBLIC_URL")]
    public_url: Option<String>,
    /// Connections served at once; past them a connection is answered 503 and closed.
    #[arg(long, env = "IL2CARE_MAX_CONNECTIONS", default_value_t = 512)]
    max_connections: usize,
    /// Seconds a connection may send nothing while a request (its headers or body) is awaited.
    #[arg(long, env = "IL2CARE_IDLE_TIMEOUT_SECS", default_value_t = 10)]
    idle_timeout_secs: u64,
    /// Check-ins and injection entries one patient account may send per hour (429 past it); 0: no limit.
    #[arg(long, env = "IL2CARE_PATIENT_WRITES_PER_HOUR", default_value_t = il2care_web::security::PATIENT_WRITES_PER_HOUR)]
    patient_writes_per_hour: i64,
    /// Seconds in-flight requests get to finish after SIGTERM or Ctrl-C.
    #[arg(long, env = "IL2CARE_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    shutdown_grace_secs: u64,
    /// The identifier system (URI) of this site's medical record numbers: CDS Hooks and FHIR import match a
    /// Patient only on an identifier of this system (then check birth date, family name and gender).
    #[arg(long, env = "IL2CARE_MRN_SYSTEM", default_value = il2care_wire::fhir::import::DEFAULT_MRN_SYSTEM,
          value_parser = crate::fhir::mrn_system)]
    mrn_system: String,
    /// JSON file of the EHRs that may open il2care by SMART App Launch (EHR launch) at /smart/launch:
    /// {"issuers": [{"iss": "https://ehr/fhir", "client_id": "...", "client_secret_file": "..." | "client_secret":
    /// "...", "scopes": ["launch", "openid", "fhirUser", "patient/*.read"], "fhir_users": {"Practitioner/123":
    /// "nurse"}}]}. The redirect URI to register with the EHR is PUBLIC_URL/smart/callback.
    #[arg(long, env = "IL2CARE_SMART_CONFIG")]
    smart_config: Option<PathBuf>,
    /// Comma-separated origins of browser-based EHRs allowed cross-origin access to /cds-services (CORS, no
    /// credentials): each a scheme, a host and an optional port, without a path; none by default.
    #[arg(long, env = "IL2CARE_CDS_CORS_ORIGINS", default_value = "",
          value_parser = il2care_web::cds_cors::CorsOrigins::parse)]
    cds_cors_origins: il2care_web::cds_cors::CorsOrigins,
}

#[derive(clap::Args, Debug)]
pub struct BackupArgs {
    /// The SQLite database to copy (sqlite://PATH); PostgreSQL is backed up with pg_dump.
    #[arg(long, env = "IL2CARE_DATABASE_URL")]
    database: Option<String>,
    /// Folder of the embedded database.
    #[arg(long, env = "IL2CARE_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
    /// The file to write; it must not exist.
    #[arg(long)]
    to: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct RestoreArgs {
    /// A backup written by `il2care backup`.
    #[arg(long)]
    from: PathBuf,
    /// Folder of the embedded database to replace (stop the service first).
    #[arg(long, env = "IL2CARE_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
}

pub(crate) fn database_url(database: Option<String>, data_dir: &std::path::Path) -> anyhow::Result<String> {
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

pub fn run(args: Args) -> Outcome {
    tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("IL2CARE_LOG").unwrap_or_else(|_| "info".into()))
        .init();
    // Checked before anything else, so a bad issuer file stops the start with its field named (exit 2).
    let cds_issuers = args.cds_issuers.as_deref().map(CdsIssuers::load).transpose()?;
    let smart = args.smart_config.as_deref().map(il2care_web::smart::SmartConfig::load).transpose()?;
    let site = site_settings(&args)?;
    let url = database_url(args.database, &args.data_dir)?;
    let public_url = args.public_url.clone().unwrap_or_else(|| {
        if args.listen.ip().is_unspecified() {
            format!("http://localhost:{}", args.listen.port())
        } else {
            format!("http://{}", args.listen)
        }
    });
    // Checked before the database is opened, so a bad URL stops the start with its field named (exit 2).
    il2care_web::security::Security::new(&public_url)
        .map_err(|reason| il2care_core::Refusal::new("public-url", reason))?;
    let limits = il2care_web::server::Limits {
        max_connections: args.max_connections,
        idle_timeout: std::time::Duration::from_secs(args.idle_timeout_secs.max(1)),
        shutdown_grace: std::time::Duration::from_secs(args.shutdown_grace_secs),
    };
    runtime()?.block_on(async move {
        let store = Store::open(&url).await.context("opening the database")?;
        if args.demo {
            let accounts = il2care_web::demo::create(&store, il2care_web::now_ms(), args.demo_password.as_deref())
                .await
                .map_err(|error| anyhow::anyhow!("creating the demo ward: {error}"))?;
            if accounts.is_empty() {
                println!("demo: the database already has patients; no demo data added");
            }
            for account in &accounts {
                println!(
                    "demo account  {:<11} role {:<10} password {}",
                    account.username, account.role, account.password
                );
            }
        }
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        println!("il2care listening on http://{}", listener.local_addr()?);
        tracing::info!(address = %args.listen, backend = ?store.backend(), "serving");
        let mut state = AppState::new(store.clone())
            .with_public_url(&public_url)
            .map_err(anyhow::Error::msg)?
            .with_patient_writes_per_hour(args.patient_writes_per_hour)
            .with_site(site)
            .with_mrn_system(&args.mrn_system)
            .with_cds_cors_origins(args.cds_cors_origins.clone());
        if !args.cds_cors_origins.origins().is_empty() {
            println!("CDS Hooks: cross-origin access for {}", args.cds_cors_origins.origins().join(", "));
        }
        println!("public URL {public_url} (FHIR fullUrls, the cross-site check of forms)");
        println!("patients are matched on MRNs of the identifier system {}", args.mrn_system);
        match cds_issuers {
            Some(issuers) => {
                println!(
                    "CDS Hooks: EHR JWTs accepted from {} for audience {} (signed-in staff tokens too)",
                    issuers.issuer_names().join(", "),
                    issuers.audience()
                );
                state = state.with_cds_issuers(issuers);
            }
            None => println!(
                "CDS Hooks: no --cds-issuers, so EHR JWTs are refused; only signed-in staff session tokens are accepted"
            ),
        }
        match smart {
            Some(smart) => {
                println!(
                    "SMART App Launch: {} may open il2care at {public_url}/smart/launch (redirect URI {public_url}/smart/callback)",
                    smart.issuer_names().join(", ")
                );
                state = state.with_smart(smart);
            }
            None => println!("SMART App Launch: no --smart-config, so /smart/launch is refused"),
        }
        il2care_web::server::serve(listener, router(state), limits, shutdown_signal()).await.context("serving")?;
        if tokio::time::timeout(std::time::Duration::from_secs(5), store.close()).await.is_err() {
            tracing::warn!("the database did not close within 5 s");
        }
        tracing::info!("stopped");
        Ok::<(), anyhow::Error>(())
    })?;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM; the server then stops accepting and finishes what is in flight.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}

pub fn backup(args: BackupArgs) -> Outcome {
    let url = database_url(args.database, &args.data_dir)?;
    if args.to.exists() {
        return Err(il2care_core::Refusal::new("to", format!("{} exists; choose a new file", args.to.display())).into());
    }
    runtime()?.block_on(async move {
        let store = Store::open(&url).await.context("opening the database")?;
        store.backup_sqlite(&args.to.display().to_string()).await.context("writing the backup")?;
        println!("backup written to {}", args.to.display());
        Ok::<(), anyhow::Error>(())
    })?;
    Ok(())
}

/// Replaces the embedded database with a backup, after checking that the backup opens and passes its
/// integrity check. The service must be stopped: SQLite's write-ahead log of the old database is removed.
pub fn restore(args: RestoreArgs) -> Outcome {
    if !args.from.is_file() {
        return Err(il2care_core::Refusal::new("from", format!("{} is not a file", args.from.display())).into());
    }
    std::fs::create_dir_all(&args.data_dir).with_context(|| format!("creating {}", args.data_dir.display()))?;
    let target = args.data_dir.join("il2care.db");
    let staging = args.data_dir.join("il2care.db.restoring");
    std::fs::copy(&args.from, &staging).context("copying the backup")?;
    // Open the copy, not the backup: opening checks integrity and applies any newer migrations. Closing the
    // last connection checkpoints SQLite's write-ahead log into the file.
    runtime()?.block_on(async {
        let copy = Store::open(&format!("sqlite://{}", staging.display())).await.context("opening the backup")?;
        copy.check(crate::clock::now().as_millisecond()).await.context("checking the backup")?;
        copy.close().await;
        Ok::<(), anyhow::Error>(())
    })?;
    for suffix in ["-wal", "-shm"] {
        let side = args.data_dir.join(format!("il2care.db{suffix}"));
        if side.exists() {
            std::fs::remove_file(&side).with_context(|| format!("removing {}", side.display()))?;
        }
    }
    std::fs::rename(&staging, &target).context("putting the backup in place")?;
    println!("restored {} from {}", target.display(), args.from.display());
    Ok(())
}
