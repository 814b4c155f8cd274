//! Mints one-use EHR JWTs for the CDS Hooks load test (`tests/load/run-patient-view.sh`): each call needs a
//! token of its own, because il2care refuses a replayed `jti`. Prints one EdDSA token per line.
//!
//! Usage: `mint_ehr_tokens KEY.pem ISS AUD COUNT [LIFETIME_SECONDS]` with a TEST-ONLY Ed25519 private key.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A load-test tool: a bad argument stops it.

use std::io::Write;

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [key, iss, aud, count, rest @ ..] = args.as_slice() else {
        eprintln!("usage: mint_ehr_tokens KEY.pem ISS AUD COUNT [LIFETIME_SECONDS]");
        std::process::exit(2);
    };
    let key = EncodingKey::from_ed_pem(&std::fs::read(key).expect("the key file")).expect("an Ed25519 private key");
    let count: u64 = count.parse().expect("COUNT is a number");
    let lifetime: i64 = rest.first().map_or(280, |text| text.parse().expect("LIFETIME_SECONDS is a number"));
    let now = jiff::Timestamp::now().as_second();
    let header = Header::new(Algorithm::EdDSA);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for serial in 0..count {
        let claims = json!({"iss": iss, "sub": "load-client", "aud": aud, "iat": now, "exp": now + lifetime,
                            "jti": format!("load-{now}-{serial}")});
        writeln!(out, "{}", encode(&header, &claims, &key).unwrap()).unwrap();
    }
}
