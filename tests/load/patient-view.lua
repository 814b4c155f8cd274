-- wrk script: CDS Hooks patient-view calls for the demo inpatient HD-1002 (a course with a stored hold decision),
-- the specification's request shape with the Patient prefetched. The bearer token is either TOKEN (a staff
-- session token, reusable) or the next line of the file TOKENS (one-use EHR JWTs: il2care refuses a replayed
-- jti, so each call sends a token of its own; THREADS must equal wrk's -t). Usage: see run-patient-view.sh.
local body = '{"hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","hook":"patient-view",'
  .. '"fhirServer":"http://ehr.example.org/fhir","context":{"userId":"Practitioner/example","patientId":"1288992"},'
  .. '"prefetch":{"patient":{"resourceType":"Patient","id":"1288992",'
  .. '"identifier":[{"system":"urn:il2care:mrn","value":"HD-1002"}]}}}'

local started = 0
function setup(thread)
  thread:set("id", started)
  started = started + 1
end

function init(args)
  tokens = {}
  next_token = 0
  static_token = os.getenv("TOKEN") or ""
  local file = os.getenv("TOKENS")
  if file and file ~= "" then
    local threads = tonumber(os.getenv("THREADS") or "1")
    local line_number = 0
    for line in io.lines(file) do
      if line_number % threads == id then
        tokens[#tokens + 1] = line
      end
      line_number = line_number + 1
    end
  end
end

function request()
  local token = static_token
  if #tokens > 0 then
    next_token = next_token + 1
    token = tokens[next_token] or "tokens-exhausted"
  end
  local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
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
