-- il2care record, version 3 (SQLite): pre-treatment screenings (docs/screening.md). Never edit once released:
-- add a new migration instead. Append-only: a new screening is a new row; the latest one is the one shown.
-- The document evaluated and il2care's result are kept as JSON text beside the columns queries need.
CREATE TABLE screenings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    client_id TEXT,
    at_ms INTEGER NOT NULL,
    regimen TEXT NOT NULL,
    status TEXT NOT NULL,
    document TEXT NOT NULL,
    result TEXT NOT NULL,
    recorded_at_ms INTEGER NOT NULL,
    recorded_by TEXT NOT NULL,
    UNIQUE (patient_id, client_id)
);
CREATE INDEX screenings_by_patient ON screenings (patient_id, at_ms);
