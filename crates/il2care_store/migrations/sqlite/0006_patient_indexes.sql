-- il2care record, version 6: the per-patient look-ups of the CDS Hooks services (and the course pages) found
-- through indexes instead of scans: courses, dose events and flags by patient, dose events by course.
-- Never edit once released: add a new migration instead.
CREATE INDEX courses_by_patient ON courses (patient_id);
CREATE INDEX dose_events_by_patient ON dose_events (patient_id);
CREATE INDEX dose_events_by_course ON dose_events (course_id);
CREATE INDEX flags_by_patient ON flags (patient_id);
