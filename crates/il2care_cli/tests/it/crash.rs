//! Crash safety: writes under load from two clients, `SIGKILL` at a pseudo-random moment, restart, and check
//! that every acknowledged write is present, that retrying the write in flight never duplicates it, and that
//! the database opens and passes its integrity check. On SQLite and on PostgreSQL.
//!
//! Rounds: `IL2CARE_CRASH_ROUNDS` (default 8 on SQLite and 4 on PostgreSQL, so CI stays quick; the full run
//! is `IL2CARE_CRASH_ROUNDS=50 cargo test -p il2care_cli --test it crash`). The seed of the kill moments is
//! printed, and `IL2CARE_CRASH_SEED` replays it.

use std::time::Duration;

use crate::serve::{Server, checkin, http, sign_in, stored_client_ids};

fn rounds(default: u64) -> u64 {
    std::env::var("IL2CARE_CRASH_ROUNDS").ok().and_then(|text| text.parse().ok()).unwrap_or(default)
}

/// A small deterministic generator (64-bit LCG), enough to spread kill moments reproducibly.
struct Moments(u64);

impl Moments {
    fn next_millis(&mut self, low: u64, high: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        low + (self.0 >> 33) % (high - low)
    }
}

/// What one writer saw: the ids acknowledged (201 or 200) and the id in flight when the server died.
struct Written {
    acknowledged: Vec<String>,
    in_flight: Option<String>,
}

fn writer(address: String, token: String, patient_id: i64, prefix: String) -> std::thread::JoinHandle<Written> {
    std::thread::spawn(move || {
        let mut acknowledged = Vec::new();
        for n in 0..100_000 {
            let client_id = format!("{prefix}-{n}");
            let path = format!("/api/v1/patients/{patient_id}/checkins");
            match http(&address, "POST", &path, Some(&token), Some(&checkin(&client_id))) {
                Ok((201 | 200, _)) => acknowledged.push(client_id),
                Ok((status, body)) => panic!("unexpected {status}: {body}"),
                Err(_) => return Written { acknowledged, in_flight: Some(client_id) },
            }
        }
        Written { acknowledged, in_flight: None }
    })
}

fn crash_rounds(database: &str, rounds: u64) {
    let seed = std::env::var("IL2CARE_CRASH_SEED").ok().and_then(|text| text.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
    println!("crash harness: {rounds} rounds, IL2CARE_CRASH_SEED={seed}");
    let mut moments = Moments(seed);
    let mut acknowledged: Vec<String> = Vec::new();
    for round in 0..rounds {
        let mut server = Server::start(database);
        let (token, patient_id) = sign_in(&server.address, "patient");
        let patient_id = patient_id.unwrap();
        let writers: Vec<_> = (0..2)
            .map(|client| writer(server.address.clone(), token.clone(), patient_id, format!("r{round}c{client}")))
            .collect();
        std::thread::sleep(Duration::from_millis(moments.next_millis(50, 600)));
        server.kill();
        let results: Vec<Written> = writers.into_iter().map(|handle| handle.join().unwrap()).collect();

        let restarted = Server::start(database);
        let (status, health) = http(&restarted.address, "GET", "/healthz", None, None).unwrap();
        assert_eq!((status, health["status"].as_str()), (200, Some("ok")), "round {round}: the database opens cleanly");
        // A client that saw no answer retries: the idempotency key makes the retry harmless.
        let (token, _) = sign_in(&restarted.address, "patient");
        for in_flight in results.iter().filter_map(|result| result.in_flight.as_ref()) {
            let path = format!("/api/v1/patients/{patient_id}/checkins");
            let (status, body) =
                http(&restarted.address, "POST", &path, Some(&token), Some(&checkin(in_flight))).unwrap();
            assert!(status == 201 || status == 200, "round {round}: the retry of {in_flight} answers {status}: {body}");
            acknowledged.push(in_flight.clone());
        }
        for result in results {
            acknowledged.extend(result.acknowledged);
        }
        let stored = stored_client_ids(&restarted.address, patient_id);
        let lost: Vec<&String> = acknowledged.iter().filter(|id| !stored.contains(id)).collect();
        assert!(lost.is_empty(), "round {round} (seed {seed}): acknowledged check-ins lost: {lost:?}");
        let mut unique = stored.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), stored.len(), "round {round} (seed {seed}): a check-in is stored twice");
        drop(restarted);
    }
    assert!(acknowledged.len() as u64 >= rounds, "writes were acknowledged before the kills ({})", acknowledged.len());
}

#[test]
fn crash_harness_on_sqlite_loses_no_acknowledged_write() {
    let folder = std::env::temp_dir().join(format!("il2care-crash-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    crash_rounds(&format!("sqlite://{}", folder.join("db.sqlite").display()), rounds(8));
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn crash_harness_on_postgres_loses_no_acknowledged_write() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let db = runtime.block_on(il2care_store::testing::TestDb::postgres());
    crash_rounds(&db.url, rounds(4));
    runtime.block_on(db.drop());
}
