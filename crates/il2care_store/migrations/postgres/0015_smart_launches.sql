-- il2care record, version 15 (PostgreSQL): SMART App Launch (EHR launch) sign-ins in progress. A row is one launch:
-- the SHA-256 digest of its `state` (never the state itself), the PKCE `code_challenge` (the browser's cookie
-- holds the verifier, so the database never holds a secret that works if it leaks), the FHIR server that
-- launched it and the endpoints its discovery named. `used_at_ms` makes a state good for one callback.
-- Not clinical: rows older than a day are pruned. Never edit once released: add a new migration instead.
CREATE TABLE smart_launches (
    state_digest TEXT PRIMARY KEY,
    code_challenge TEXT NOT NULL,
    iss TEXT NOT NULL,
    token_endpoint TEXT NOT NULL,
    jwks_uri TEXT NOT NULL,
    oidc_issuer TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    used_at_ms BIGINT
);
CREATE INDEX smart_launches_by_expiry ON smart_launches (expires_at_ms);
