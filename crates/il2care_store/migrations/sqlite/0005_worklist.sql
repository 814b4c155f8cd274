-- il2care record, version 5 (SQLite): what the worklist reads, found through indexes instead of scans. Never edit
-- once released: add a new migration instead.
--
-- Which check-ins have a call-back: looked up by check-in (the worklist asks which have none).
CREATE INDEX checkin_acknowledgements_by_checkin ON checkin_acknowledgements (checkin_id);
-- Each stored decision in a few columns: its course, time, decision and the ids of the rules that fired, as a
-- JSON array taken from the stored result (`result.fired[*].id`, `[]` when the result has no such list). The
-- worklist reads the latest per course from here without reading or parsing the documents. Derived data,
-- written only by the trigger below (and the backfill), in the same transaction as the decision itself.
CREATE TABLE assessment_summaries (
    assessment_id INTEGER PRIMARY KEY REFERENCES assessments(id),
    course_id INTEGER,
    at_ms INTEGER NOT NULL,
    decision TEXT NOT NULL,
    fired_ids TEXT NOT NULL
);
CREATE INDEX assessment_summaries_by_course ON assessment_summaries (course_id, assessment_id);
CREATE TRIGGER assessments_summarised AFTER INSERT ON assessments
BEGIN
    INSERT INTO assessment_summaries (assessment_id, course_id, at_ms, decision, fired_ids)
    VALUES (NEW.id, NEW.course_id, NEW.at_ms, NEW.decision,
            CASE WHEN json_valid(NEW.result) AND json_type(NEW.result, '$.fired') = 'array'
                 THEN (SELECT json_group_array(json_extract(fired.value, '$.id')) FROM json_each(NEW.result, '$.fired') AS fired)
                 ELSE '[]' END);
END;
INSERT INTO assessment_summaries (assessment_id, course_id, at_ms, decision, fired_ids)
SELECT a.id, a.course_id, a.at_ms, a.decision,
       CASE WHEN json_valid(a.result) AND json_type(a.result, '$.fired') = 'array'
            THEN (SELECT json_group_array(json_extract(fired.value, '$.id')) FROM json_each(a.result, '$.fired') AS fired)
            ELSE '[]' END
FROM assessments a;
