-- Apply one batch of validated events to the live state, dead-letter the malformed
-- ones and acknowledge every entry, atomically: a batch is applied and acknowledged
-- whole or not at all, so a consumer that dies mid-batch leaves it pending for a
-- retry, and the per-event dedup makes the retry harmless.
--
-- ARGV[1] prefix, ARGV[2] consumer group, ARGV[3] JSON array of ops (arrays; their
-- layout is in ops.py), ARGV[4] JSON array of dead letters [stream, entry id,
-- reason, field count, received ms], ARGV[5] bucket TTL seconds, ARGV[6] trail
-- length, ARGV[7] dedup TTL seconds, ARGV[8] updates stream MAXLEN, then the dead
-- letters' original field/value pairs, binary-safe.
-- Keys are derived from the prefix: citywall runs on one Redis, not a cluster.
-- Speed matters here (every event passes through): each event reads its state once
-- and writes it once, and KPI counters are summed over the batch and written once.

local P = ARGV[1]
local GROUP = ARGV[2]
local ops = cjson.decode(ARGV[3])
local dead = cjson.decode(ARGV[4])
local BUCKET_TTL = tonumber(ARGV[5])
local TRAIL_LEN = tonumber(ARGV[6])
local DEDUP_TTL = tonumber(ARGV[7])
local UPDATES_MAXLEN = ARGV[8]
local STREAM = {c = 'cases', o = 'officers', m = 'cameras', h = 'hotline', a = 'approvals'}

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
    local field = metric .. '|' .. dims[i]
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
    local key = P .. 'kpi:' .. hour
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
    local key = P .. 'kpi:' .. hour
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

local function apply_case(op)
  local _, _, e, t, h, id, st, k, cat, cn, mn, src, g, p, lat, lon, ord, dept, off, dl =
    unpack(op)
  local key = P .. 'case:' .. id
  if redis.call('HSETNX', key, 'ev:' .. e, t) == 0 then return end
  local values = redis.call('HMGET', key, unpack(CASE_FIELDS))
  local s = {}
  for i = 1, #CASE_FIELDS do s[CASE_FIELDS[i]] = values[i] end
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
  local dims = {'c:' .. k .. '-' .. string.sub(cat, 1, 2), 's:' .. src, 'g:' .. g}
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
    redis.call('ZREM', P .. 'cases:open', id)
    redis.call('ZREM', P .. 'cases:deadline', id)
    redis.call('ZADD', P .. 'cases:closed', ended, id)
  else
    redis.call('ZADD', P .. 'cases:open', tonumber(s.reported_at) or t, id)
    if s.deadline then redis.call('ZADD', P .. 'cases:deadline', s.deadline, id) end
  end
  changed_cases[#changed_cases + 1] = id
  topics.cases = true
  topics.kpi = true
end

-- Officers and cameras: last write wins by event time, so repeats are no-ops. --

-- Positions are most of the traffic. Each officer's last fix ("lat,lon,ms,grid")
-- is read for the whole batch with one HMGET and written back with one HSET; the
-- trail (a list, newest first) gets one LPUSH and one LTRIM per officer and batch.
-- (A trail kept as one string per officer costs less Lua but rewrites ~700 bytes
-- per fix into the append-only file: measured slower.)
local positions, trails, moved = {}, {}, {}

local function load_positions()
  local ids, seen = {}, {}
  for i = 1, #ops do
    local op = ops[i]
    if op[1] == 'o' and op[12] and not seen[op[6]] then
      seen[op[6]] = true
      ids[#ids + 1] = op[6]
    end
  end
  if #ids == 0 then return end
  local values = redis.call('HMGET', P .. 'state:positions', unpack(ids))
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
    local key = P .. 'trail:' .. id
    redis.call('LPUSH', key, unpack(trails[id]))
    redis.call('LTRIM', key, 0, TRAIL_LEN - 1)
  end
  for i = 1, #heads, 1000 do
    redis.call('HSET', P .. 'state:positions', unpack(heads, i, math.min(i + 999, #heads)))
  end
end

local function apply_officer(op)
  local _, _, _, t, h, id, a, g, day, name, st, lat, lon = unpack(op)
  topics.officers = true
  if lat then apply_position(id, t, g, lat, lon) end
  if a == 'position' then return end
  -- Status and check-ins: rare, kept as one JSON document per officer.
  local raw = redis.call('HGET', P .. 'state:officers', id)
  local s = raw and cjson.decode(raw) or {status = 'offline', st_t = 0}
  local was_online = s.status ~= 'offline'
  s.grid = g
  if name then s.name = name end
  if a == 'status' and t >= s.st_t then s.status, s.st_t = st, t end
  if a == 'checkin' then
    local key = P .. 'checkins:' .. day
    if redis.call('SADD', key, id) == 1 then
      redis.call('EXPIRE', key, 8 * 86400)
      count(h, 'checkins', 1, {'g:' .. g})
      s.checkin = t
    end
  end
  redis.call('HSET', P .. 'state:officers', id, cjson.encode(s))
  local is_online = s.status ~= 'offline'
  if is_online ~= was_online then
    gauge(h, 'officers_online', redis.call('INCRBY', P .. 'officers:online', is_online and 1 or -1))
  end
end

local function apply_camera(op)
  local _, _, _, t, h, id, st, reason = unpack(op)
  local raw = redis.call('HGET', P .. 'state:cameras', id)
  local s = raw and cjson.decode(raw) or {status = 'online', t = 0}
  if t < s.t then return end
  local was_offline = raw and s.status == 'offline'
  s.status, s.t, s.reason = st, t, reason or nil
  redis.call('HSET', P .. 'state:cameras', id, cjson.encode(s))
  local is_offline = st == 'offline'
  if is_offline ~= was_offline then
    gauge(h, 'cameras_offline', redis.call('INCRBY', P .. 'cameras:offline', is_offline and 1 or -1))
  end
  topics.cameras = true
end

-- Hotline calls and approvals are counted: a repeat is caught by its event id. --

local function first_time(stream, event_id)
  return redis.call('SET', P .. 'seen:' .. stream .. ':' .. event_id, 1, 'NX', 'EX', DEDUP_TTL)
end

local function apply_call(op)
  local _, _, e, _, h, outcome, g = unpack(op)
  if not first_time('hotline', e) then return end
  local dims = {'o:' .. outcome}
  if g then dims[2] = 'g:' .. g end
  count(h, 'hotline_calls', 1, dims)
  topics.kpi = true
end

local function apply_approval(op)
  local _, _, e, _, h, service, st = unpack(op)
  if not first_time('approvals', e) then return end
  count(h, 'approvals_' .. st, 1, {'v:' .. service})
  topics.kpi = true
end

local APPLY = {c = apply_case, o = apply_officer, m = apply_camera, h = apply_call,
               a = apply_approval}

load_positions()
for i = 1, #ops do
  local op = ops[i]
  APPLY[op[1]](op)
  if op[4] > latest then latest = op[4] end
  if op[4] < batch_earliest then batch_earliest = op[4] end
  ack(STREAM[op[1]], op[2])
end

local arg = 9
for i = 1, #dead do
  local d = dead[i]
  local entry = {'stream', d[1], 'entry_id', d[2], 'reason', d[3], 'received_ms', d[5]}
  for _ = 1, d[4] do
    entry[#entry + 1] = 'payload.' .. ARGV[arg]
    entry[#entry + 1] = ARGV[arg + 1]
    arg = arg + 2
  end
  redis.call('XADD', P .. 'deadletter', 'MAXLEN', '~', 100000, '*', unpack(entry))
  ack(d[1], d[2])
  topics.deadletter = true
end

save_positions()
flush_counters()
for stream, ids in pairs(acks) do
  redis.call('XACK', P .. stream, GROUP, unpack(ids))
end
if latest > (tonumber(redis.call('GET', P .. 'clock')) or 0) then
  redis.call('SET', P .. 'clock', latest)
end

local names = {}
for name in pairs(topics) do names[#names + 1] = name end
if #names > 0 then
  table.sort(names)
  local shown = {}
  for i = 1, math.min(#changed_cases, 50) do shown[i] = changed_cases[i] end
  redis.call('XADD', P .. 'updates', 'MAXLEN', '~', UPDATES_MAXLEN, '*',
    'topics', table.concat(names, ','), 'cases', table.concat(shown, ','),
    'clock', tostring(latest), 'earliest', tostring(batch_earliest))
end
return #ops
