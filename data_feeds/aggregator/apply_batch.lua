-- Apply one batch of validated events to the live state, dead-letter the malformed
-- ones and acknowledge every entry, atomically: a batch is applied and acknowledged
-- whole or not at all, so a consumer that dies mid-batch leaves it pending for a
-- retry, and the per-event dedup makes the retry harmless.
--
-- This script spells no key, stream, topic or field name of its own: it receives
-- them all from script.py (built from core.keys and core.topics), and the formats
-- of what it stores too (a KPI bucket's field names from data_feeds.kpi_fields, the
-- camera and officer JSON from core.camera_status and data_feeds.officer_state, a
-- case's details from data_feeds.case_details), so they are declared once.
-- KEYS: open cases, closed cases, deadlines, positions, officers, cameras, officers
-- online, cameras offline, deadletter, updates, clock, then the input streams in
-- the order of C.streams.
-- ARGV[1] JSON object of constants (script_constants: consumer group, stream codes,
-- key prefixes, topics, update fields, KPI field format, camera and officer state
-- fields, caps, TTLs), ARGV[2] JSON array of ops
-- (arrays; their layout is in ops.py), ARGV[3] JSON array of dead letters [stream,
-- entry id, reason, field count, received ms], then the dead letters' original
-- field/value pairs, binary-safe.
-- Keys named by an id are built from the prefixes received: citywall runs on one
-- Redis, not a cluster.
-- Speed matters here (every event passes through): each event reads its state once
-- and writes it once, and KPI counters are summed over the batch and written once.

local OPEN, CLOSED, DEADLINES, POSITIONS, OFFICERS, CAMERAS, ONLINE, OFFLINE,
  DEADLETTER, UPDATES, CLOCK = unpack(KEYS, 1, 11)
local C = cjson.decode(ARGV[1])
local ops = cjson.decode(ARGV[2])
local dead = cjson.decode(ARGV[3])
local CASE, KPI, TRAIL, CHECKINS, SEEN = C.case, C.kpi, C.trail, C.checkins, C.seen
local BUCKET_TTL, TRAIL_LEN, DEDUP_TTL = C.bucket_ttl, C.trail_length, C.dedup_ttl
local TOPIC_CASES, TOPIC_KPI, TOPIC_OFFICERS, TOPIC_CAMERAS, TOPIC_DEADLETTER =
  C.topics.CASES, C.topics.KPI, C.topics.OFFICERS, C.topics.CAMERAS, C.topics.DEADLETTER
-- A KPI bucket's fields: <metric><SEP><dimension prefix><value>.
local KF = C.kpi_fields
local SEP, CATEGORY_JOIN, MAJOR_DIGITS = KF.SEPARATOR, KF.CATEGORY_JOIN, KF.MAJOR_DIGITS
local BY_CATEGORY, BY_SOURCE, BY_GRID, BY_OUTCOME, BY_SERVICE = KF.PREFIXES.CATEGORY,
  KF.PREFIXES.SOURCE, KF.PREFIXES.GRID, KF.PREFIXES.OUTCOME, KF.PREFIXES.SERVICE
-- The JSON kept per camera and per officer: field names, and the status compared.
local CS, OS = C.camera_state, C.officer_state
local CAM_STATUS, CAM_T, CAM_REASON, CAM_OFFLINE = CS.STATUS, CS.T, CS.REASON, CS.OFFLINE
local OFF_STATUS, OFF_STATUS_T, OFF_GRID, OFF_NAME, OFF_CHECKIN, OFF_OFFLINE =
  OS.STATUS, OS.STATUS_T, OS.GRID, OS.NAME, OS.CHECKIN, OS.OFFLINE
-- A case's details (schema v2): their hash fields, in the order the op carries them
-- after its 20 fixed items, and the suffix of the field saying when each was set.
local DETAILS, STAMP = C.case_details.FIELDS, C.case_details.STAMP
local DETAIL_AT = 20
-- A case's timeline (data_feeds.case_timeline): one field per event, its value the
-- time, status, officer and department joined by a separator.
local EVENT_FIELD, TL_SEP = C.timeline.PREFIX, C.timeline.SEP
-- Approvals published (审批公示): a sorted set by time, kept PUBLISHED_KEEP ms.
local PUBLISHED, PUBLISHED_SEP, PUBLISHED_KEEP = C.published.KEY, C.published.SEP,
  C.published.KEEP_MS
local STREAM_KEY = {}  -- stream name -> its key, for XACK
if #KEYS ~= 11 + #C.streams then error('apply_batch: KEYS do not match C.streams') end
-- A missing constant would fail mid-batch, after some writes: check them first.
local function need(...)
  for i = 1, select('#', ...) do
    if select(i, ...) == nil then error('apply_batch: format constant ' .. i .. ' missing') end
  end
end
need(SEP, CATEGORY_JOIN, MAJOR_DIGITS, BY_CATEGORY, BY_SOURCE, BY_GRID, BY_OUTCOME,
  BY_SERVICE, CAM_STATUS, CAM_T, CAM_REASON, CAM_OFFLINE, OFF_STATUS, OFF_STATUS_T,
  OFF_GRID, OFF_NAME, OFF_CHECKIN, OFF_OFFLINE, DETAILS, STAMP, EVENT_FIELD, TL_SEP,
  PUBLISHED, PUBLISHED_SEP, PUBLISHED_KEEP)
local DETAIL_STAMPS = {}
for i = 1, #DETAILS do DETAIL_STAMPS[i] = DETAILS[i] .. STAMP end
for i = 1, #C.streams do STREAM_KEY[C.streams[i]] = KEYS[11 + i] end

local deltas, gauges = {}, {}
local changed_cases, topics, acks = {}, {}, {}
local latest = 0
local batch_earliest = math.huge  -- the web tier drops cached day totals from here on

local function ack(stream, id)
  local list = acks[stream]
  if not list then list = {}; acks[stream] = list end
  list[#list + 1] = id
end

local function count(hour, metric, amount, dims)
  local d = deltas[hour]
  if not d then d = {}; deltas[hour] = d end
  d[metric] = (d[metric] or 0) + amount
  for i = 1, #dims do
    local field = metric .. SEP .. dims[i]
    d[field] = (d[field] or 0) + amount
  end
end

local function gauge(hour, metric, value)
  local g = gauges[hour]
  if not g then g = {}; gauges[hour] = g end
  g[metric] = value
end

local function flush_counters()
  for hour, d in pairs(deltas) do
    local key = KPI .. hour
    for field, amount in pairs(d) do
      -- A correction that brings a counter back to 0 removes it: the same state as
      -- if it had never been counted.
      if amount ~= 0 and redis.call('HINCRBY', key, field, amount) == 0 then
        redis.call('HDEL', key, field)
      end
    end
    redis.call('EXPIRE', key, BUCKET_TTL)
  end
  for hour, g in pairs(gauges) do
    local key = KPI .. hour
    for metric, value in pairs(g) do redis.call('HSET', key, metric, value) end
    redis.call('EXPIRE', key, BUCKET_TTL)
  end
end

-- Case events -------------------------------------------------------------

local STATUS_RANK = {reported = 1, filed = 2, dispatched = 3, handled = 4, rework = 5,
                     verified = 6, closed = 7, cancelled = 7}
local ONCE = {reported = true, filed = true, dispatched = true, closed = true, cancelled = true}
local TIMELY_DISPATCH_MS = 30 * 60 * 1000
local TWO_HOURS_MS = 2 * 60 * 60 * 1000
local CASE_FIELDS = {'status_t', 'status_rank', 'reported_at', 'filed_at', 'dispatched_at',
  'dispatched_h', 'closed_at', 'closed_h', 'cancelled_at', 'deadline', 'handled_first_at',
  'handled_first_h', 'd:timely', 'd:ontime', 'd:2h', 'd:handle_s', 'd:handle_h', 'rework_count'}

-- Metrics that need two stages: counted once, when the second of them arrives,
-- whatever order the events came in.
local function derive(s, put, ordinary, dims)
  local filed, dispatched = tonumber(s.filed_at), tonumber(s.dispatched_at)
  local closed, deadline = tonumber(s.closed_at), tonumber(s.deadline)
  local reported, handled = tonumber(s.reported_at), tonumber(s.handled_first_at)
  if filed and dispatched and not s['d:timely'] then
    put('d:timely', 1)
    if dispatched - filed <= TIMELY_DISPATCH_MS then
      count(s.dispatched_h, 'dispatched_timely', 1, dims)
    end
  end
  if closed and deadline and not s['d:ontime'] then
    put('d:ontime', 1)
    count(s.closed_h, 'due_closed', 1, dims)
    if closed <= deadline then count(s.closed_h, 'closed_on_time', 1, dims) end
  end
  if ordinary == 1 and closed and reported and not s['d:2h'] then
    put('d:2h', 1)
    count(s.closed_h, 'ordinary_closed', 1, dims)
    if closed - reported <= TWO_HOURS_MS then count(s.closed_h, 'ordinary_closed_2h', 1, dims) end
  end
  if dispatched and handled then
    -- The first handling may arrive after a later one (rework): move the
    -- contribution instead of counting twice, so any order gives the same sums.
    local seconds = math.floor((handled - dispatched) / 1000)
    local prev_s, prev_h = tonumber(s['d:handle_s']), s['d:handle_h']
    if prev_s ~= seconds or prev_h ~= s.handled_first_h then
      if prev_s then
        count(prev_h, 'handle_seconds', -prev_s, dims)
        count(prev_h, 'handle_count', -1, dims)
      end
      count(s.handled_first_h, 'handle_seconds', seconds, dims)
      count(s.handled_first_h, 'handle_count', 1, dims)
      put('d:handle_s', seconds)
      put('d:handle_h', s.handled_first_h)
    end
  end
end

-- The details the op carries (their indexes in DETAILS), and the case fields to read:
-- CASE_FIELDS, plus each carried detail's value and when it was set.
local function carried_details(op)
  local carried = {}
  for i = 1, #DETAILS do
    if op[DETAIL_AT + i] then carried[#carried + 1] = i end
  end
  if #carried == 0 then return carried, CASE_FIELDS end
  local fields = {unpack(CASE_FIELDS)}
  for _, i in ipairs(carried) do
    fields[#fields + 1] = DETAILS[i]
    fields[#fields + 1] = DETAIL_STAMPS[i]
  end
  return carried, fields
end

-- A detail carried by an event is kept unless a newer event already set it; at the
-- same instant the greater value wins, so any order ends in the same state.
local function put_details(op, t, carried, s, put)
  for _, i in ipairs(carried) do
    local name, value = DETAILS[i], op[DETAIL_AT + i]
    local set_at = tonumber(s[DETAIL_STAMPS[i]])
    if not set_at or t > set_at or (t == set_at and value > (s[name] or '')) then
      put(name, value)
      put(DETAIL_STAMPS[i], t)
    end
  end
end

local function apply_case(op)
  local _, _, e, t, h, id, st, k, cat, cn, mn, src, g, p, lat, lon, ord, dept, off, dl =
    unpack(op)
  local key = CASE .. id
  local stage = t .. TL_SEP .. st .. TL_SEP .. (off or '') .. TL_SEP .. (dept or '')
  if redis.call('HSETNX', key, EVENT_FIELD .. e, stage) == 0 then return end
  local carried, fields = carried_details(op)
  local values = redis.call('HMGET', key, unpack(fields))
  local s = {}
  for i = 1, #fields do s[fields[i]] = values[i] end
  -- Every event carries the descriptors, but they only need writing once.
  local w = s.status_t and {} or {'case_id', id, 'kind', k, 'category', cat,
    'category_name', cn, 'major_name', mn, 'source', src, 'grid', g, 'priority', p,
    'lat', lat, 'lon', lon, 'ordinary', ord}
  local function put(field, value)
    w[#w + 1] = field; w[#w + 1] = value; s[field] = value
  end
  if dept then put('dept', dept) end
  if off then put('officer', off) end
  if dl then put('deadline', dl) end
  put_details(op, t, carried, s, put)
  local dims = {BY_CATEGORY .. k .. CATEGORY_JOIN .. string.sub(cat, 1, MAJOR_DIGITS),
                BY_SOURCE .. src, BY_GRID .. g}
  local first = true
  if ONCE[st] then
    if s[st .. '_at'] then first = false else put(st .. '_at', t); put(st .. '_h', h) end
  end
  if first then count(h, st, 1, dims) end
  if st == 'reported' and first and src == 'video' then count(h, 'video_captures', 1, dims) end
  if st == 'handled' then
    local earliest = tonumber(s.handled_first_at)
    if not earliest or t < earliest then put('handled_first_at', t); put('handled_first_h', h) end
    put('handled_at', t)
  elseif st == 'rework' then
    put('rework_count', (tonumber(s.rework_count) or 0) + 1)
  elseif st == 'verified' then
    put('verified_at', t)
  end
  -- Current status: the latest event wins; at the same instant, the later stage.
  local cur_t, cur_rank = tonumber(s.status_t) or -1, tonumber(s.status_rank) or 0
  if t > cur_t or (t == cur_t and STATUS_RANK[st] >= cur_rank) then
    put('status', st); put('status_t', t); put('status_rank', STATUS_RANK[st])
  end
  derive(s, put, ord, dims)
  if #w > 0 then redis.call('HSET', key, unpack(w)) end
  local ended = tonumber(s.closed_at) or tonumber(s.cancelled_at)
  if ended then
    redis.call('ZREM', OPEN, id)
    redis.call('ZREM', DEADLINES, id)
    redis.call('ZADD', CLOSED, ended, id)
  else
    redis.call('ZADD', OPEN, tonumber(s.reported_at) or t, id)
    if s.deadline then redis.call('ZADD', DEADLINES, s.deadline, id) end
  end
  changed_cases[#changed_cases + 1] = id
  topics[TOPIC_CASES] = true
  topics[TOPIC_KPI] = true
end

-- Officers and cameras: last write wins by event time, so repeats are no-ops. --

-- Positions are most of the traffic. Each officer's last fix ("lat,lon,ms,grid")
-- is read for the whole batch with one HMGET and written back with one HSET; the
-- trail (a list, newest first) gets one LPUSH and one LTRIM per officer and batch.
-- (A trail kept as one string per officer costs less Lua but rewrites ~700 bytes
-- per fix into the append-only file: measured slower.)
local positions, trails, moved = {}, {}, {}

local function load_positions(officer_code)
  local ids, seen = {}, {}
  for i = 1, #ops do
    local op = ops[i]
    if op[1] == officer_code and op[12] and not seen[op[6]] then
      seen[op[6]] = true
      ids[#ids + 1] = op[6]
    end
  end
  if #ids == 0 then return end
  local values = redis.call('HMGET', POSITIONS, unpack(ids))
  for i = 1, #ids do positions[ids[i]] = values[i] end
end

local function apply_position(id, t, g, lat, lon)
  local last = positions[id]
  -- Last write wins by time: a repeat or a late fix changes nothing.
  if last and tonumber(string.match(last, '^[^,]*,[^,]*,([^,]*)')) >= t then return end
  local point = lat .. ',' .. lon .. ',' .. t
  positions[id] = point .. ',' .. g
  local trail = trails[id]
  if not trail then trail = {}; trails[id] = trail; moved[#moved + 1] = id end
  trail[#trail + 1] = point
end

local function save_positions()
  local heads = {}
  for i = 1, #moved do
    local id = moved[i]
    heads[#heads + 1] = id
    heads[#heads + 1] = positions[id]
    local key = TRAIL .. id
    redis.call('LPUSH', key, unpack(trails[id]))
    redis.call('LTRIM', key, 0, TRAIL_LEN - 1)
  end
  for i = 1, #heads, 1000 do
    redis.call('HSET', POSITIONS, unpack(heads, i, math.min(i + 999, #heads)))
  end
end

local function apply_officer(op)
  local _, _, _, t, h, id, a, g, day, name, st, lat, lon = unpack(op)
  topics[TOPIC_OFFICERS] = true
  if lat then apply_position(id, t, g, lat, lon) end
  if a == 'position' then return end
  -- Status and check-ins: rare, kept as one JSON document per officer.
  local raw = redis.call('HGET', OFFICERS, id)
  -- cjson writes a table's fields in the order its hash holds them, which follows
  -- the order they were set in: keep that order, and documents stay byte-identical.
  local s = raw and cjson.decode(raw) or {[OFF_STATUS] = OFF_OFFLINE, [OFF_STATUS_T] = 0}
  local was_online = s[OFF_STATUS] ~= OFF_OFFLINE
  s[OFF_GRID] = g
  if name then s[OFF_NAME] = name end
  if a == 'status' and t >= s[OFF_STATUS_T] then s[OFF_STATUS], s[OFF_STATUS_T] = st, t end
  if a == 'checkin' then
    local key = CHECKINS .. day
    if redis.call('SADD', key, id) == 1 then
      redis.call('EXPIRE', key, 8 * 86400)
      count(h, 'checkins', 1, {BY_GRID .. g})
      s[OFF_CHECKIN] = t
    end
  end
  redis.call('HSET', OFFICERS, id, cjson.encode(s))
  local is_online = s[OFF_STATUS] ~= OFF_OFFLINE
  if is_online ~= was_online then
    gauge(h, 'officers_online', redis.call('INCRBY', ONLINE, is_online and 1 or -1))
  end
end

local function apply_camera(op)
  local _, _, _, t, h, id, st, reason = unpack(op)
  local raw = redis.call('HGET', CAMERAS, id)
  -- A camera not seen yet: its status is written over at once (and was not offline).
  local s = raw and cjson.decode(raw) or {[CAM_STATUS] = st, [CAM_T] = 0}
  if t < s[CAM_T] then return end
  local was_offline = raw and s[CAM_STATUS] == CAM_OFFLINE
  s[CAM_STATUS], s[CAM_T], s[CAM_REASON] = st, t, reason or nil
  redis.call('HSET', CAMERAS, id, cjson.encode(s))
  local is_offline = st == CAM_OFFLINE
  if is_offline ~= was_offline then
    gauge(h, 'cameras_offline', redis.call('INCRBY', OFFLINE, is_offline and 1 or -1))
  end
  topics[TOPIC_CAMERAS] = true
end

-- Hotline calls and approvals are counted: a repeat is caught by its event id. --

-- The op's code picks its stream's dedup prefix.
local function first_time(op)
  return redis.call('SET', SEEN[op[1]] .. op[3], 1, 'NX', 'EX', DEDUP_TTL)
end

local function apply_call(op)
  local _, _, _, _, h, outcome, g = unpack(op)
  if not first_time(op) then return end
  local dims = {BY_OUTCOME .. outcome}
  if g then dims[2] = BY_GRID .. g end
  count(h, 'hotline_calls', 1, dims)
  topics[TOPIC_KPI] = true
end

local function apply_approval(op)
  local _, _, _, t, h, service, st, id = unpack(op)
  if not first_time(op) then return end
  count(h, 'approvals_' .. st, 1, {BY_SERVICE .. service})
  if st == 'published' then
    redis.call('ZADD', PUBLISHED, t, service .. PUBLISHED_SEP .. id)
    redis.call('ZREMRANGEBYSCORE', PUBLISHED, '-inf', '(' .. (t - PUBLISHED_KEEP))
  end
  topics[TOPIC_KPI] = true
end

-- Apply functions by stream name; the op codes reach them through C.codes.
local APPLY = {cases = apply_case, officers = apply_officer, cameras = apply_camera,
               hotline = apply_call, approvals = apply_approval}
local apply_of, stream_of, officer_code = {}, {}, nil
for code, stream in pairs(C.codes) do
  local apply = APPLY[stream]
  if not apply then error('apply_batch: no apply function for stream ' .. stream) end
  apply_of[code], stream_of[code] = apply, stream
  if apply == apply_officer then officer_code = code end
end

load_positions(officer_code)
for i = 1, #ops do
  local op = ops[i]
  apply_of[op[1]](op)
  if op[4] > latest then latest = op[4] end
  if op[4] < batch_earliest then batch_earliest = op[4] end
  ack(stream_of[op[1]], op[2])
end

local arg = 4
for i = 1, #dead do
  local d = dead[i]
  local entry = {'stream', d[1], 'entry_id', d[2], 'reason', d[3], 'received_ms', d[5]}
  for _ = 1, d[4] do
    entry[#entry + 1] = 'payload.' .. ARGV[arg]
    entry[#entry + 1] = ARGV[arg + 1]
    arg = arg + 2
  end
  redis.call('XADD', DEADLETTER, 'MAXLEN', '~', C.deadletter_maxlen, '*', unpack(entry))
  ack(d[1], d[2])
  topics[TOPIC_DEADLETTER] = true
end

save_positions()
flush_counters()
for stream, ids in pairs(acks) do
  redis.call('XACK', STREAM_KEY[stream], C.group, unpack(ids))
end
if latest > (tonumber(redis.call('GET', CLOCK)) or 0) then
  redis.call('SET', CLOCK, latest)
end

local names = {}
for name in pairs(topics) do names[#names + 1] = name end
if #names > 0 then
  table.sort(names)
  local shown = {}
  for i = 1, math.min(#changed_cases, 50) do shown[i] = changed_cases[i] end
  local F = C.fields
  redis.call('XADD', UPDATES, 'MAXLEN', '~', C.updates_maxlen, '*',
    F.TOPICS, table.concat(names, ','), F.CASES, table.concat(shown, ','),
    F.CLOCK, tostring(latest), F.EARLIEST, tostring(batch_earliest))
end
return #ops
