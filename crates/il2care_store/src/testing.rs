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

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let folder = std::env::temp_dir().join(unique_name());
        std::fs::create_dir_all(&folder).unwrap();
        let url = format!("sqlite://{}", folder.join("il2care.db").display());
        let store = Store::open(&url).await.unwrap();
        TestDb { store, url, cleanup: Cleanup::Folder(folder) }
    }

    pub async fn postgres() -> TestDb {
        sqlx::any::install_default_drivers();
        let admin = postgres_admin_url();
        let name = unique_name();
        let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap_or_else(|error| {
            panic!("PostgreSQL at {admin} is needed for the PostgreSQL half of the store tests: {error}")
        });
        conn.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
        conn.close().await.unwrap();
        let base = admin.rsplit_once('/').unwrap().0;
        let url = format!("{base}/{name}");
        let store = Store::open(&url).await.unwrap();
        TestDb { store, url, cleanup: Cleanup::Database(name) }
    }

    pub async fn drop(self) {
        // Closing waits for every pooled connection to come back: a test that still holds one would hang
        // here forever, so give it a bound and say what is wrong.
        let closed = tokio::time::timeout(std::time::Duration::from_secs(30), self.store.close()).await;
        assert!(closed.is_ok(), "the test database did not close in 30 s: a connection is still held (drop it first)");
        match self.cleanup {
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
