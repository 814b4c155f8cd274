-- il2care record, version 2 (SQLite): the injection log of low-dose subcutaneous courses. Never edit once
-- released: add a new migration instead. Append-only like 0001: a correction is a new row pointing at the row it
-- corrects; a phone that retries sends the same client_id and finds its first row.
CREATE TABLE injections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    course_id INTEGER NOT NULL REFERENCES courses(id),
    client_id TEXT,
    status TEXT NOT NULL CHECK (status IN ('given', 'skipped')),
    slot_number INTEGER,
    dose_level TEXT,
    at_ms INTEGER NOT NULL,
    site TEXT,
    skip_reason TEXT,
    note TEXT,
    corrects_id INTEGER REFERENCES injections(id),
    recorded_at_ms INTEGER NOT NULL,
    recorded_by TEXT NOT NULL,
    UNIQUE (patient_id, client_id)
);
CREATE INDEX injections_by_patient ON injections (patient_id, at_ms);
CREATE INDEX injections_by_course ON injections (course_id, slot_number);
