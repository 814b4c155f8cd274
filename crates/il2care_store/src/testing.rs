//! Fresh databases for tests (feature `testing`): a SQLite file in a temporary folder, or a PostgreSQL
//! database created on the local server and dropped afterwards. Used by the store's and the service's tests.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test support: a failed setup is a failed test.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::Store;
use sqlx::{Connection, Executor};

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_name() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("il2care_test_{}_{}_{}", std::process::id(), nanos, n)
}

/// The server the PostgreSQL tests use.
pub fn postgres_admin_url() -> String {
    std::env::var("IL2CARE_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Ends the test binary at once with one message when the test server cannot be reached: every PostgreSQL
/// test would fail the same way, and the message says how to start the server or where to point the tests.
fn postgres_unreachable(admin: &str, error: &str) -> ! {
    static REPORTED: std::sync::Once = std::sync::Once::new();
    REPORTED.call_once(|| {
        let version = std::fs::read_dir("/etc/postgresql")
            .ok()
            .and_then(|entries| entries.filter_map(Result::ok).map(|entry| entry.file_name()).max())
            .map_or_else(|| "<version>".to_string(), |name| name.to_string_lossy().into_owned());
        // Written to the real stderr: the test harness captures `eprintln!` of passing and running tests.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!(
                "\nerror: PostgreSQL is not reachable at {admin} ({error}).\n\
                 The test suite runs every store test on SQLite and on PostgreSQL. Start the local server\n\
                 (`pg_ctlcluster --skip-systemctl-redirect {version} main start`, or `sudo systemctl start postgresql`)\n\
                 or point IL2CARE_TEST_POSTGRES_URL at a server whose user may create databases\n\
                 (default postgres://postgres@127.0.0.1:5432/postgres).\n\n"
            )
            .as_bytes(),
        );
        std::process::exit(1);
    });
    unreachable!("the first caller ended the process")
}

/// A database for one test.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Folder(std::path::PathBuf),
    Database(String),
}

/// A database that exists and is empty (no migration applied): for tests that build a database the way an
/// earlier version did before the store opens it.
pub struct EmptyDb {
    pub url: String,
    cleanup: Cleanup,
}

impl EmptyDb {
    pub async fn sqlite() -> EmptyDb {
        let folder = std::env::temp_dir().join(unique_name());
        std::fs::create_dir_all(&folder).unwrap();
        let url = format!("sqlite://{}", folder.join("il2care.db").display());
        EmptyDb { url, cleanup: Cleanup::Folder(folder) }
    }

    pub async fn postgres() -> EmptyDb {
        sqlx::any::install_default_drivers();
        let admin = postgres_admin_url();
        let name = unique_name();
        let connecting = tokio::time::timeout(std::time::Duration::from_secs(10), sqlx::AnyConnection::connect(&admin));
        let mut conn = match connecting.await {
            Ok(Ok(conn)) => conn,
            Ok(Err(error)) => postgres_unreachable(&admin, &error.to_string()),
            Err(_) => postgres_unreachable(&admin, "no answer in 10 s"),
        };
        conn.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
        conn.close().await.unwrap();
        let base = admin.rsplit_once('/').unwrap().0;
        let url = format!("{base}/{name}");
        EmptyDb { url, cleanup: Cleanup::Database(name) }
    }

    /// Removes the database without opening it.
    pub async fn drop(self) {
        self.cleanup.run().await;
    }

    /// Opens the store on this database (applying the migrations).
    pub async fn open(self) -> TestDb {
        sqlx::any::install_default_drivers();
        let store = Store::open(&self.url).await.unwrap();
        TestDb { store, url: self.url, cleanup: self.cleanup }
    }
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        EmptyDb::sqlite().await.open().await
    }

    pub async fn postgres() -> TestDb {
        EmptyDb::postgres().await.open().await
    }

    pub async fn drop(self) {
        // Closing waits for every pooled connection to come back: a test that still holds one would hang
        // here forever, so give it a bound and say what is wrong.
        let closed = tokio::time::timeout(std::time::Duration::from_secs(30), self.store.close()).await;
        assert!(closed.is_ok(), "the test database did not close in 30 s: a connection is still held (drop it first)");
        self.cleanup.run().await;
    }
}

impl Cleanup {
    async fn run(self) {
        match self {
            Cleanup::Folder(folder) => {
                let _ = std::fs::remove_dir_all(folder);
            }
            Cleanup::Database(name) => {
                let mut conn = sqlx::AnyConnection::connect(&postgres_admin_url()).await.unwrap();
                conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await.unwrap();
            }
        }
    }
}

/// Runs each named `async fn(&TestDb)` as a test on a fresh SQLite database and on a fresh PostgreSQL one:
/// `il2care_store::on_both_backends!(first_test, second_test);` in a test file (which needs tokio's test macro).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread")]
            async fn $name() {
                let db = $crate::testing::TestDb::sqlite().await;
                super::$name(&db).await;
                db.drop().await;
            })+
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread")]
            async fn $name() {
                let db = $crate::testing::TestDb::postgres().await;
                super::$name(&db).await;
                db.drop().await;
            })+
        }
    };
}
