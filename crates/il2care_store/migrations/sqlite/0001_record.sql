-- il2care record, version 1 (SQLite). Never edit once released: add a new migration instead.
CREATE TABLE patients (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    mrn TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    sex TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    created_by TEXT NOT NULL
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('patient', 'nurse', 'physician', 'pharmacist', 'admin')),
    patient_id INTEGER REFERENCES patients(id),
    created_at_ms INTEGER NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    remote TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    success INTEGER NOT NULL
);
CREATE INDEX login_attempts_by_username ON login_attempts (username, at_ms);
CREATE TABLE courses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    regimen TEXT NOT NULL,
    rule_set TEXT NOT NULL,
    started_at_ms INTEGER NOT NULL,
    baseline_weight_kg TEXT,
    baseline_creatinine_mg_dl TEXT,
    created_at_ms INTEGER NOT NULL,
    created_by TEXT NOT NULL
);
CREATE TABLE observations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    client_id TEXT,
    code TEXT NOT NULL,
    value TEXT NOT NULL,
    unit TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    start_ms INTEGER,
    document TEXT NOT NULL,
    corrects_id INTEGER REFERENCES observations(id),
    recorded_at_ms INTEGER NOT NULL,
    recorded_by TEXT NOT NULL,
    UNIQUE (patient_id, client_id)
);
CREATE INDEX observations_by_patient ON observations (patient_id, code, at_ms);
CREATE TABLE checkins (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    client_id TEXT,
    at_ms INTEGER NOT NULL,
    level TEXT NOT NULL,
    level_rank INTEGER NOT NULL,
    document TEXT NOT NULL,
    result TEXT NOT NULL,
    submitted_at_ms INTEGER NOT NULL,
    submitted_by TEXT NOT NULL,
    UNIQUE (patient_id, client_id)
);
CREATE INDEX checkins_by_patient ON checkins (patient_id, at_ms);
CREATE TABLE checkin_acknowledgements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    checkin_id INTEGER NOT NULL REFERENCES checkins(id),
    note TEXT NOT NULL,
    acknowledged_at_ms INTEGER NOT NULL,
    acknowledged_by TEXT NOT NULL
);
CREATE TABLE assessments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    course_id INTEGER REFERENCES courses(id),
    at_ms INTEGER NOT NULL,
    rule_set TEXT NOT NULL,
    rule_set_version TEXT NOT NULL,
    decision TEXT NOT NULL,
    document TEXT NOT NULL,
    result TEXT NOT NULL,
    recorded_at_ms INTEGER NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX assessments_by_patient ON assessments (patient_id, at_ms);
CREATE TABLE dose_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    course_id INTEGER NOT NULL REFERENCES courses(id),
    assessment_id INTEGER REFERENCES assessments(id),
    status TEXT NOT NULL CHECK (status IN ('given', 'held')),
    at_ms INTEGER NOT NULL,
    override_reason TEXT,
    corrects_id INTEGER REFERENCES dose_events(id),
    recorded_at_ms INTEGER NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE TABLE flags (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    code TEXT NOT NULL,
    detail TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    resource TEXT NOT NULL,
    patient_id INTEGER,
    outcome TEXT NOT NULL,
    remote TEXT NOT NULL
);
CREATE INDEX audit_by_patient ON audit_log (patient_id, at_ms);
