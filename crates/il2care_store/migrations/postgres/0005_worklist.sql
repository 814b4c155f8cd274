-- il2care record, version 5 (PostgreSQL): what the worklist reads, found through indexes instead of scans. Never
-- edit once released: add a new migration instead.
--
-- Which check-ins have a call-back: looked up by check-in (the worklist asks which have none).
CREATE INDEX checkin_acknowledgements_by_checkin ON checkin_acknowledgements (checkin_id);
-- Each stored decision in a few columns: its course, time, decision and the ids of the rules that fired, as a
-- JSON array taken from the stored result (`result.fired[*].id`, `[]` when the result has no such list). The
-- worklist reads the latest per course from here without reading or parsing the documents. Derived data,
-- written only by the trigger below (and the backfill), in the same transaction as the decision itself.
CREATE TABLE assessment_summaries (
    assessment_id BIGINT PRIMARY KEY REFERENCES assessments(id),
    course_id BIGINT,
    at_ms BIGINT NOT NULL,
    decision TEXT NOT NULL,
    fired_ids TEXT NOT NULL
);
CREATE INDEX assessment_summaries_by_course ON assessment_summaries (course_id, assessment_id);
-- The fired rule ids of a stored result; a result that is not JSON gives `[]` rather than refusing the decision.
CREATE FUNCTION assessment_fired_ids(result TEXT) RETURNS TEXT LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    fired JSONB;
BEGIN
    BEGIN
        fired := result::jsonb -> 'fired';
    EXCEPTION WHEN OTHERS THEN
        RETURN '[]';
    END;
    IF jsonb_typeof(fired) IS DISTINCT FROM 'array' THEN
        RETURN '[]';
    END IF;
    RETURN (SELECT COALESCE(jsonb_agg(entry -> 'id' ORDER BY position), '[]'::jsonb)::text
            FROM jsonb_array_elements(fired) WITH ORDINALITY AS entries(entry, position));
END;
$$;
CREATE FUNCTION assessments_summarise() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO assessment_summaries (assessment_id, course_id, at_ms, decision, fired_ids)
    VALUES (NEW.id, NEW.course_id, NEW.at_ms, NEW.decision, assessment_fired_ids(NEW.result));
    RETURN NULL;
END;
$$;
-- No decision may be stored between the backfill and the trigger (another instance writing during the upgrade).
LOCK TABLE assessments IN SHARE ROW EXCLUSIVE MODE;
CREATE TRIGGER assessments_summarised AFTER INSERT ON assessments FOR EACH ROW EXECUTE FUNCTION assessments_summarise();
INSERT INTO assessment_summaries (assessment_id, course_id, at_ms, decision, fired_ids)
SELECT id, course_id, at_ms, decision, assessment_fired_ids(result) FROM assessments;
