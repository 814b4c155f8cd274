//! `il2care serve` as a real process on a real socket: answers HTTP, survives SIGKILL with every
//! acknowledged write present, and two instances on one PostgreSQL database act as one system.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const DEMO_PASSWORD: &str = "test-demo-password";

/// A running `il2care serve`.
pub struct Server {
    pub child: Child,
    pub address: String,
}

impl Server {
    pub fn start(database: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_il2care"))
            .args([
                "serve",
                "--database",
                database,
                "--listen",
                "127.0.0.1:0",
                "--demo",
                "--demo-password",
                DEMO_PASSWORD,
            ])
            .env("IL2CARE_LOG", "warn")
            // These servers take writes as fast as the tests send them: no hourly limit per patient.
            .env("IL2CARE_PATIENT_WRITES_PER_HOUR", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("il2care serve starts");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let address = loop {
            let line = lines.next().expect("the server prints its address").unwrap();
            if let Some(address) = line.strip_prefix("il2care listening on http://") {
                break address.to_string();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, address }
    }

    pub fn kill(&mut self) {
        self.child.kill().unwrap(); // SIGKILL on Unix: no chance to finish anything.
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request over a fresh connection; the status and the body as JSON.
pub fn http(
    address: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        request += "Content-Type: application/json\r\n";
    }
    if let Some(token) = token {
        request += &format!("Authorization: Bearer {token}\r\n");
    }
    request += "\r\n";
    request += &body;
    stream.write_all(request.as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status: u16 =
        response.split(' ').nth(1).and_then(|code| code.parse().ok()).ok_or(std::io::ErrorKind::InvalidData)?;
    let payload = response.split_once("\r\n\r\n").map_or("", |(_, rest)| rest);
    Ok((status, serde_json::from_str(payload).unwrap_or(Value::Null)))
}

pub fn sign_in(address: &str, username: &str) -> (String, Option<i64>) {
    let (status, body) =
        http(address, "POST", "/api/v1/session", None, Some(&json!({"username": username, "password": DEMO_PASSWORD})))
            .unwrap();
    assert_eq!(status, 200, "{body}");
    (body["token"].as_str().unwrap().to_string(), body["patient_id"].as_i64())
}

pub fn checkin(client_id: &str) -> Value {
    json!({"client_id": client_id, "at": "2026-11-27T08:30:00Z", "answers": {"temperature": {"value": 37.0, "unit": "Cel"}}})
}

pub fn stored_client_ids(address: &str, patient_id: i64) -> Vec<String> {
    let (token, _) = sign_in(address, "nurse");
    let (status, body) =
        http(address, "GET", &format!("/api/v1/patients/{patient_id}/checkins"), Some(&token), None).unwrap();
    assert_eq!(status, 200, "{body}");
    body["checkins"].as_array().unwrap().iter().filter_map(|c| c["client_id"].as_str().map(str::to_string)).collect()
}

#[test]
fn the_server_answers_health_and_stateless_triage_on_a_real_socket() {
    let folder = std::env::temp_dir().join(format!("il2care-socket-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let server = Server::start(&format!("sqlite://{}", folder.join("db.sqlite").display()));
    let (status, health) = http(&server.address, "GET", "/healthz", None, None).unwrap();
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    let document = json!({"at": "2026-11-27T08:30:00Z", "answers": {"temperature": {"value": 38.0, "unit": "Cel"}}});
    let (status, result) = http(&server.address, "POST", "/api/v1/triage", None, Some(&document)).unwrap();
    assert_eq!((status, result["level"].as_str()), (200, Some("call_now")));
    drop(server);
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn two_instances_on_one_postgres_database_share_sessions_and_idempotency() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let db = runtime.block_on(il2care_store::testing::TestDb::postgres());
    let first = Server::start(&db.url);
    let second = Server::start(&db.url);
    let (token, patient_id) = sign_in(&first.address, "patient");
    let path = format!("/api/v1/patients/{}/checkins", patient_id.unwrap());
    let (status, _) = http(&first.address, "POST", &path, Some(&token), Some(&checkin("shared-1"))).unwrap();
    assert_eq!(status, 201);
    let (status, body) = http(&second.address, "POST", &path, Some(&token), Some(&checkin("shared-1"))).unwrap();
    assert_eq!(status, 200, "the second instance knows the session and the client id: {body}");
    assert_eq!(stored_client_ids(&second.address, patient_id.unwrap()), ["shared-1"]);
    drop((first, second));
    runtime.block_on(db.drop());
}

#[test]
fn a_backup_restores_the_record_as_it_was() {
    let folder = std::env::temp_dir().join(format!("il2care-backup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    let data_dir = folder.join("data");
    let database = format!("sqlite://{}", data_dir.join("il2care.db").display());
    std::fs::create_dir_all(&data_dir).unwrap();
    let backup = folder.join("backup.db");
    let mut server = Server::start(&database);
    let (token, patient_id) = sign_in(&server.address, "patient");
    let path = format!("/api/v1/patients/{}/checkins", patient_id.unwrap());
    assert_eq!(http(&server.address, "POST", &path, Some(&token), Some(&checkin("before"))).unwrap().0, 201);
    let il2care = env!("CARGO_BIN_EXE_il2care");
    let run = |args: &[&str]| Command::new(il2care).args(args).output().unwrap();
    let backed_up = run(&["backup", "--database", &database, "--to", &backup.display().to_string()]);
    assert!(backed_up.status.success(), "{}", String::from_utf8_lossy(&backed_up.stderr));
    let again = run(&["backup", "--database", &database, "--to", &backup.display().to_string()]);
    assert_eq!(again.status.code(), Some(2), "an existing backup file is never overwritten");
    assert_eq!(http(&server.address, "POST", &path, Some(&token), Some(&checkin("after"))).unwrap().0, 201);
    server.kill();
    let restored =
        run(&["restore", "--from", &backup.display().to_string(), "--data-dir", &data_dir.display().to_string()]);
    assert!(restored.status.success(), "{}", String::from_utf8_lossy(&restored.stderr));
    let server = Server::start(&database);
    assert_eq!(stored_client_ids(&server.address, patient_id.unwrap()), ["before"]);
    drop(server);
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn sigterm_lets_in_flight_writes_finish_and_the_server_exits_cleanly() {
    let folder = std::env::temp_dir().join(format!("il2care-term-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let database = format!("sqlite://{}", folder.join("db.sqlite").display());
    let mut server = Server::start(&database);
    let (token, patient_id) = sign_in(&server.address, "patient");
    let patient_id = patient_id.unwrap();
    let address = server.address.clone();
    let writer = std::thread::spawn(move || {
        let mut acked = Vec::new();
        for n in 0..10_000 {
            let client_id = format!("term-{n}");
            let path = format!("/api/v1/patients/{patient_id}/checkins");
            match http(&address, "POST", &path, Some(&token), Some(&checkin(&client_id))) {
                Ok((201 | 200, _)) => acked.push(client_id),
                Ok((status, body)) => panic!("unexpected {status}: {body}"),
                Err(_) => break, // Refused after shutdown began: never acknowledged.
            }
        }
        acked
    });
    std::thread::sleep(Duration::from_millis(400));
    let terminated = Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status().unwrap();
    assert!(terminated.success());
    let status = server.child.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
    let acked = writer.join().unwrap();
    assert!(!acked.is_empty());
    let restarted = Server::start(&database);
    let stored = stored_client_ids(&restarted.address, patient_id);
    assert!(acked.iter().all(|client_id| stored.contains(client_id)), "every acknowledged write is stored");
    drop(restarted);
    let _ = std::fs::remove_dir_all(folder);
}

#[test]
fn serve_refuses_to_start_with_an_issuer_file_it_cannot_trust_and_names_the_field() {
    let folder = std::env::temp_dir().join(format!("il2care-serve-issuers-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let file = folder.join("issuers.json");
    let database = format!("sqlite://{}", folder.join("il2care.db").display());
    let shared_secret = r#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#;
    std::fs::write(folder.join("ehr.jwks.json"), shared_secret).unwrap();
    let document = json!({"audience": "https://il2care.test", "issuers": [{"iss": "https://ehr.test", "jwks_file": "ehr.jwks.json"}]});
    std::fs::write(&file, document.to_string()).unwrap();
    let run = crate::support::il2care(
        &["serve", "--database", &database, "--listen", "127.0.0.1:0", "--cds-issuers", &file.display().to_string()],
        None,
    );
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("issuers[0].jwks_file.keys[0]"), "{}", run.stderr);
    assert!(!run.stderr.contains("c2VjcmV0"), "key material never prints");
    std::fs::remove_dir_all(&folder).unwrap();
}
