//! `il2care audit verify`: walks the audit log's hash chain and names the first entry that was changed or
//! removed. Exit 0 when the chain holds, 1 (with the entry named on stderr) when it does not.

use anyhow::Context;
use il2care_store::Store;
use il2care_store::audit::Verification;

use crate::Outcome;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(clap::Subcommand, Debug)]
enum AuditCommand {
    /// Checks every audit entry against its hash and its link to the previous one.
    Verify(VerifyArgs),
}

#[derive(clap::Args, Debug)]
struct VerifyArgs {
    /// Database URL: sqlite://PATH (default: DATA_DIR/il2care.db) or postgres://user@host/db.
    #[arg(long, env = "IL2CARE_DATABASE_URL")]
    database: Option<String>,
    /// Folder of the embedded database.
    #[arg(long, env = "IL2CARE_DATA_DIR", default_value = crate::serve::DEFAULT_DATA_DIR)]
    data_dir: std::path::PathBuf,
}

pub fn run(args: Args) -> Outcome {
    let AuditCommand::Verify(args) = args.command;
    let url = crate::serve::database_url(args.database, &args.data_dir)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    let verification = runtime.block_on(async move {
        let store = Store::open(&url).await.context("opening the database")?;
        let verification = store.verify_audit().await.context("reading the audit log");
        store.close().await;
        verification
    })?;
    match verification {
        Verification::Intact { entries, unchained, head_hash } => {
            println!("audit log intact: {entries} chained entries, head {head_hash}");
            if unchained > 0 {
                println!("{unchained} older entries were written before the chain began and are not covered");
            }
            Ok(())
        }
        Verification::Broken { id: Some(id), seq, reason } => {
            Err(anyhow::anyhow!("audit log broken at entry id {id} (chain place {seq}): {reason}").into())
        }
        Verification::Broken { id: None, seq, reason } => {
            Err(anyhow::anyhow!("audit log broken at chain place {seq}: {reason}").into())
        }
    }
}
