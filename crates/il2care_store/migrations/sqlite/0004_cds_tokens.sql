-- il2care record, version 4 (SQLite): the CDS Hooks token ids (`jti`) already used, so a replayed EHR token is
-- refused on every instance sharing the database. Never edit once released: add a new migration instead.
-- A row is kept until its token could no longer be accepted anyway (`exp` plus the clock leeway), then pruned.
CREATE TABLE cds_token_uses (
    iss TEXT NOT NULL,
    jti TEXT NOT NULL,
    kept_until_ms INTEGER NOT NULL,
    used_at_ms INTEGER NOT NULL,
    PRIMARY KEY (iss, jti)
);
CREATE INDEX cds_token_uses_by_expiry ON cds_token_uses (kept_until_ms);
