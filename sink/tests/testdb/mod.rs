//! Test databases shared by the sink's integration tests: a fresh SQLite
//! file, or a fresh PostgreSQL database on `$NEWSFLOW_TEST_PG` (a server
//! URL without a database, default postgres://postgres@127.0.0.1:5432; no
//! server is a failure, never a skip), dropped with the value.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio_postgres::{Client, NoTls};

/// `on_both_engines!(check, …)`: a test per check and engine, each calling
/// `check(url)` on a fresh database (`TestDb` must be in scope).
macro_rules! on_both_engines {
    ($($check:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let db = super::TestDb::sqlite();
                super::$check(db.url()).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let db = super::TestDb::postgres().await;
                super::$check(db.url()).await;
            })*
        }
    };
}

/// A fresh, empty database; a PostgreSQL one is dropped with the value.
pub enum TestDb {
    Sqlite { url: String, _dir: tempfile::TempDir },
    Postgres { url: String, name: String },
}

impl TestDb {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("create a temp dir");
        let url = format!("sqlite:{}", dir.path().join("news.db").display());
        Self::Sqlite { url, _dir: dir }
    }

    pub async fn postgres() -> Self {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let name = format!("nf_{}_{nanos}_{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed));
        let sql = format!("CREATE DATABASE {name}");
        admin().await.batch_execute(&sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        Self::Postgres { url: format!("{}/{name}", pg_server()), name }
    }

    pub fn url(&self) -> &str {
        match self {
            Self::Sqlite { url, .. } | Self::Postgres { url, .. } => url,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Self::Postgres { name, .. } = self else { return };
        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        // Drop runs on the test's runtime: use a thread with a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime for DROP");
            rt.block_on(async { admin().await.batch_execute(&sql).await.map_err(|e| format!("{sql}: {e}")) })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("warning: {e}");
        }
    }
}

/// The PostgreSQL server the tests use, without a database.
pub fn pg_server() -> String {
    let server = std::env::var("NEWSFLOW_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    server.trim_end_matches('/').to_owned()
}

/// A client on `url`, or a panic saying how to provide PostgreSQL.
pub async fn pg(url: &str) -> Client {
    let hint = "PostgreSQL is required: set NEWSFLOW_TEST_PG to a server URL without database \
                (default postgres://postgres@127.0.0.1:5432)";
    let (client, conn) = tokio::time::timeout(Duration::from_secs(10), tokio_postgres::connect(url, NoTls))
        .await
        .unwrap_or_else(|_| panic!("{hint}; connecting to {url} timed out"))
        .unwrap_or_else(|e| panic!("{hint}; cannot connect to {url}: {e:?}"));
    tokio::spawn(conn);
    client
}

/// A client on the server's `postgres` database.
pub async fn admin() -> Client {
    pg(&format!("{}/postgres", pg_server())).await
}
