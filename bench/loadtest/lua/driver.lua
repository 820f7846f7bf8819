-- wrk script of the exam-day load harness (bench/loadtest): one connection per wrk thread, so
-- each thread's Lua state knows which request a response answers and times it itself.
--
-- The Python driver writes a plan (LOADTEST_PLAN): one line per request,
--   thread <TAB> at_ms <TAB> kind <TAB> method <TAB> path <TAB> session <TAB> csrf <TAB> body
--   <TAB> expect <TAB> follow
-- and picks a mode (LOADTEST_MODE):
--   cycle     closed loop: repeat the thread's lines until LOADTEST_DURATION_MS has passed
--   once      closed loop: send each line once (a start or a submit uses up its attempt)
--   schedule  open loop: send each line at t0 + at_ms, or as soon as the connection is free
--             when the previous response came late (that wait is part of the measured time)
-- expect is "status" or "status:text": the status must match and the text must occur in the
-- Location header (3xx) or the body (2xx). follow=1 (a start) chains a GET of the Location
-- as a "page" request the moment the redirect arrives.
--
-- Output (LOADTEST_OUT directory): samples.tsv written by done(), one line per response,
--   thread kind status ok scheduled_us sent_us done_us   (times relative to the common t0)
-- a done-<thread> file when a thread has nothing left to send (the driver then stops wrk
-- early with SIGINT), and a LOADTEST_SUMMARY line on stdout with wrk's socket error counts.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } loadtest_timespec;
int clock_gettime(int clk_id, loadtest_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("loadtest_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000000 + math.floor(tonumber(timespec.tv_nsec) / 1000)
end

local function split(line, sep)
  local fields, start = {}, 1
  while true do
    local i = string.find(line, sep, start, true)
    if not i then
      fields[#fields + 1] = string.sub(line, start)
      return fields
    end
    fields[#fields + 1] = string.sub(line, start, i - 1)
    start = i + 1
  end
end

-- ---------------------------------------------------------------- main state (setup, done)

local threads = {}
local buckets = nil
local start_at = nil

function setup(thread)
  if buckets == nil then
    buckets = {}
    local path = assert(os.getenv("LOADTEST_PLAN"), "LOADTEST_PLAN is not set")
    for line in io.lines(path) do
      if line ~= "" then
        local tab = string.find(line, "\t", 1, true)
        local index = tonumber(string.sub(line, 1, tab - 1))
        buckets[index] = buckets[index] or {}
        table.insert(buckets[index], string.sub(line, tab + 1))
      end
    end
    -- Every thread starts at the same moment, once all are connected.
    start_at = now_us() + 1000 * tonumber(os.getenv("LOADTEST_START_DELAY_MS") or "1000")
  end
  table.insert(threads, thread)
  local index = #threads
  thread:set("thread_index", index)
  thread:set("plan_text", table.concat(buckets[index] or {}, "\n"))
  thread:set("t0", start_at)
end

function done(summary, latency, requests)
  local out = assert(os.getenv("LOADTEST_OUT"), "LOADTEST_OUT is not set")
  local file = assert(io.open(out .. "/samples.tsv", "w"))
  local unsent = 0
  local late = 0
  for _, thread in ipairs(threads) do
    local ready = thread:get("ready_us")
    if ready and ready - start_at > late then
      late = ready - start_at
    end
    local lines = thread:get("samples")
    if lines then
      for _, line in ipairs(lines) do
        file:write(line, "\n")
      end
    end
    unsent = unsent + (thread:get("unsent") or 0)
  end
  file:close()
  local e = summary.errors
  io.write(string.format(
    "LOADTEST_SUMMARY requests=%d connect=%d read=%d write=%d status=%d timeout=%d unsent=%d "
    .. "late_start_ms=%d\n",
    summary.requests, e.connect, e.read, e.write, e.status, e.timeout, unsent,
    math.floor(late / 1000)))
end

-- ---------------------------------------------------------------- thread state

samples = {}
unsent = 0
ready_us = nil  -- when this thread's connection was first ready to send (start-up lateness)

local mode = os.getenv("LOADTEST_MODE") or "cycle"
local duration_us = 1000 * tonumber(os.getenv("LOADTEST_DURATION_MS") or "10000")
local out_dir = os.getenv("LOADTEST_OUT") or "."
local events = {}
local position = 1
local follow_path = nil
local current = nil
local finished = false

function init(args)
  for line in string.gmatch(plan_text or "", "[^\n]+") do
    local f = split(line, "\t")
    local cookie = "csrftoken=" .. f[6]
    if f[5] ~= "" then
      cookie = "sessionid=" .. f[5] .. "; " .. cookie
    end
    local headers = {["Cookie"] = cookie, ["X-CSRFToken"] = f[6]}
    if f[3] == "POST" then
      headers["Content-Type"] = "application/x-www-form-urlencoded"
      headers["X-Requested-With"] = "fetch"
    end
    local expect_status, expect_text = string.match(f[8] or "", "^(%d+):?(.*)$")
    events[#events + 1] = {
      at = tonumber(f[1]) * 1000, kind = f[2], method = f[3], path = f[4], headers = headers,
      body = f[7] ~= "" and f[7] or nil, expect_status = tonumber(expect_status),
      expect_text = expect_text ~= "" and expect_text or nil, follow = f[9] == "1",
    }
  end
  plan_text = nil
end

local function finish()
  if not finished then
    finished = true
    if mode ~= "cycle" then
      unsent = math.max(0, #events - position + 1)
    end
    local marker = io.open(out_dir .. "/done-" .. thread_index, "w")
    if marker then
      marker:write("done\n")
      marker:close()
    end
    wrk.thread:stop()
  end
end

function delay()
  local now = now_us()
  if ready_us == nil then
    ready_us = now
  end
  if finished then
    return 3600000
  end
  if follow_path == nil and (position > #events or now - t0 > duration_us) then
    if mode == "cycle" and position > #events and #events > 0 and now - t0 <= duration_us then
      position = 1
    else
      finish()
      return 3600000
    end
  end
  local due = t0
  if mode == "schedule" and follow_path == nil then
    due = t0 + events[position].at
  end
  if due <= now then
    return 0
  end
  return math.ceil((due - now) / 1000)
end

function request()
  local now = now_us()
  if follow_path ~= nil then
    current = {kind = "page", scheduled = now, sent = now, follow = true,
               expect_status = 200, headers = events[position - 1].headers}
    local request = wrk.format("GET", follow_path, {
      ["Cookie"] = current.headers["Cookie"], ["X-CSRFToken"] = current.headers["X-CSRFToken"]})
    follow_path = nil
    return request
  end
  if position > #events then
    -- Only after a reconnect that skipped delay(): send nothing new, repeat the last request.
    position = #events
  end
  local event = events[position]
  local scheduled = now
  if mode == "schedule" then
    scheduled = t0 + event.at
  end
  current = {kind = event.kind, scheduled = scheduled, sent = now, event = event,
             expect_status = event.expect_status, expect_text = event.expect_text}
  return wrk.format(event.method, event.path, event.headers, event.body)
end

local function header(headers, name)
  local lower = string.lower(name)
  for key, value in pairs(headers) do
    if string.lower(key) == lower then
      return value
    end
  end
  return nil
end

function response(status, headers, body)
  local now = now_us()
  if current == nil then
    return
  end
  local ok = true
  if current.expect_status and status ~= current.expect_status then
    ok = false
  elseif status >= 400 then
    ok = false
  end
  local location = header(headers, "Location")
  if ok and current.expect_text then
    local haystack = body or ""
    if status >= 300 and status < 400 then
      haystack = location or ""
    end
    ok = string.find(haystack, current.expect_text, 1, true) ~= nil
  end
  samples[#samples + 1] = string.format("%d\t%s\t%d\t%d\t%d\t%d\t%d", thread_index, current.kind,
    status, ok and 1 or 0, current.scheduled - t0, current.sent - t0, now - t0)
  if current.event then
    position = position + 1
    if current.event.follow and ok and location then
      follow_path = string.gsub(location, "^https?://[^/]+", "")
    end
  end
  current = nil
end
