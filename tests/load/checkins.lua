-- wrk script: durable check-in submissions, each with its own client_id (so every request is a new write).
-- Usage (see BENCHMARKS.md): TOKEN=... PATIENT=... wrk -t2 -c32 -d20s --latency -s tests/load/checkins.lua http://127.0.0.1:8080
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  thread_id = id
end

local token = os.getenv("TOKEN")
local patient = os.getenv("PATIENT")
local path = "/api/v1/patients/" .. patient .. "/checkins"
local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }

function request()
  counter = counter + 1
  local body = string.format(
    '{"client_id":"load-%d-%d-%d","at":"2026-11-27T08:30:00Z","answers":{"temperature":{"value":37.2,"unit":"Cel"},"fatigue":"mild"}}',
    os.time(), thread_id, counter)
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if status ~= 201 then
    error("unexpected status " .. status .. ": " .. body)
  end
end
