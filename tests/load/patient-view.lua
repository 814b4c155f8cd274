-- wrk script: CDS Hooks patient-view calls for the demo inpatient HD-1002 (a course with a stored hold decision),
-- the specification's request shape with the Patient prefetched, and the bearer token from TOKEN (an EHR JWT or a
-- staff session token). Usage (see BENCHMARKS.md and run-patient-view.sh):
-- TOKEN=... wrk -t2 -c16 -d20s --latency -s tests/load/patient-view.lua http://127.0.0.1:18481
local token = os.getenv("TOKEN")
local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
local body = '{"hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","hook":"patient-view",'
  .. '"fhirServer":"http://ehr.example.org/fhir","context":{"userId":"Practitioner/example","patientId":"1288992"},'
  .. '"prefetch":{"patient":{"resourceType":"Patient","id":"1288992",'
  .. '"identifier":[{"system":"urn:il2care:mrn","value":"HD-1002"}]}}}'

function request()
  return wrk.format("POST", "/cds-services/il2care-patient-view", headers, body)
end

-- Any answer other than 200 with cards is counted and printed once, so a broken run cannot pass for a fast one.
local failures = 0
function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"cards":%[{') then
    failures = failures + 1
    if failures == 1 then
      io.write("unexpected answer: " .. status .. " " .. body .. "\n")
    end
  end
end
