-- Apply one batch of validated events to the live state, dead-letter the malformed
-- ones and acknowledge every entry, atomically: a batch is applied and acknowledged
-- whole or not at all, so a consumer that dies mid-batch leaves it pending for a
-- retry, and the per-event dedup makes the retry harmless.
--
-- ARGV[1] prefix, ARGV[2] consumer group, ARGV[3] JSON array of ops (see
-- ops.py), ARGV[4] JSON array of dead letters
-- [stream, entry id, reason, field count, received ms], ARGV[5] bucket TTL seconds,
-- ARGV[6] trail length, ARGV[7] dedup TTL seconds, ARGV[8] updates stream MAXLEN,
-- then the dead letters' original field/value pairs, binary-safe.
-- Keys are derived from the prefix: citywall runs on one Redis, not a cluster.

local P = ARGV[1]
local GROUP = ARGV[2]
local ops = cjson.decode(ARGV[3])
local dead = cjson.decode(ARGV[4])
local BUCKET_TTL = tonumber(ARGV[5])
local TRAIL_LEN = tonumber(ARGV[6])
local DEDUP_TTL = tonumber(ARGV[7])
local UPDATES_MAXLEN = ARGV[8]

local touched_buckets = {}
local changed_cases = {}
local topics = {}
local acks = {}
local latest = 0

local function ack(stream, id)
  local list = acks[stream]
  if not list then list = {}; acks[stream] = list end
  list[#list + 1] = id
end

local function count(hour, metric, amount, dims)
  local key = P .. 'kpi:' .. hour
  touched_buckets[key] = true
  local fields = {metric}
  for i = 1, #dims do fields[i + 1] = metric .. '|' .. dims[i] end
  for i = 1, #fields do
    -- A correction that brings a counter back to 0 removes it: the same state as
    -- if it had never been counted.
    if redis.call('HINCRBY', key, fields[i], amount) == 0 then redis.call('HDEL', key, fields[i]) end
  end
end

local function gauge(hour, metric, value)
  local key = P .. 'kpi:' .. hour
  touched_buckets[key] = true
  redis.call('HSET', key, metric, value)
end

-- Case events -------------------------------------------------------------

local STATUS_RANK = {reported = 1, filed = 2, dispatched = 3, handled = 4, rework = 5,
                     verified = 6, closed = 7, cancelled = 7}
local ONCE = {reported = true, filed = true, dispatched = true, verified = false,
              closed = true, cancelled = true}
local TIMELY_DISPATCH_MS = 30 * 60 * 1000
local TWO_HOURS_MS = 2 * 60 * 60 * 1000

local function case_dims(c)
  return {'c:' .. c.k .. '-' .. string.sub(c.cat, 1, 2), 's:' .. c.src, 'g:' .. c.g}
end

-- Metrics that need two stages: counted once, when the second of them arrives,
-- whatever order the events came in.
local function derive(key, c, dims)
  local f = redis.call('HMGET', key, 'filed_at', 'dispatched_at', 'dispatched_h', 'closed_at',
    'closed_h', 'deadline', 'reported_at', 'handled_first_at', 'handled_first_h')
  local filed, dispatched, dispatched_h = tonumber(f[1]), tonumber(f[2]), f[3]
  local closed, closed_h, deadline = tonumber(f[4]), f[5], tonumber(f[6])
  local reported, handled, handled_h = tonumber(f[7]), tonumber(f[8]), f[9]
  if filed and dispatched and redis.call('HSETNX', key, 'd:timely', 1) == 1 then
    if dispatched - filed <= TIMELY_DISPATCH_MS then count(dispatched_h, 'dispatched_timely', 1, dims) end
  end
  if closed and deadline and redis.call('HSETNX', key, 'd:ontime', 1) == 1 then
    count(closed_h, 'due_closed', 1, dims)
    if closed <= deadline then count(closed_h, 'closed_on_time', 1, dims) end
  end
  if c.ord == 1 and closed and reported and redis.call('HSETNX', key, 'd:2h', 1) == 1 then
    count(closed_h, 'ordinary_closed', 1, dims)
    if closed - reported <= TWO_HOURS_MS then count(closed_h, 'ordinary_closed_2h', 1, dims) end
  end
  if dispatched and handled then
    -- The first handling may arrive after a later one (rework): move the
    -- contribution instead of counting twice, so any order gives the same sums.
    local seconds = math.floor((handled - dispatched) / 1000)
    local prev = redis.call('HMGET', key, 'd:handle_s', 'd:handle_h')
    if tonumber(prev[1]) ~= seconds or prev[2] ~= handled_h then
      if prev[1] then
        count(prev[2], 'handle_seconds', -tonumber(prev[1]), dims)
        count(prev[2], 'handle_count', -1, dims)
      end
      count(handled_h, 'handle_seconds', seconds, dims)
      count(handled_h, 'handle_count', 1, dims)
      redis.call('HSET', key, 'd:handle_s', seconds, 'd:handle_h', handled_h)
    end
  end
  return closed
end

local function apply_case(c)
  local key = P .. 'case:' .. c.id
  if redis.call('HSETNX', key, 'ev:' .. c.e, c.t) == 0 then return end
  local st = c.st
  redis.call('HSET', key, 'case_id', c.id, 'kind', c.k, 'category', c.cat, 'category_name', c.cn,
    'major_name', c.mn, 'source', c.src, 'grid', c.g, 'priority', c.p, 'lat', c.lat, 'lon', c.lon,
    'ordinary', c.ord)
  if c.dept then redis.call('HSET', key, 'dept', c.dept) end
  if c.off then redis.call('HSET', key, 'officer', c.off) end
  if c.dl then redis.call('HSET', key, 'deadline', c.dl) end
  local dims = case_dims(c)
  local first = true
  if ONCE[st] then
    first = redis.call('HSETNX', key, st .. '_at', c.t) == 1
    if first then redis.call('HSET', key, st .. '_h', c.h) end
  end
  if first then count(c.h, st, 1, dims) end
  if st == 'reported' and first and c.src == 'video' then count(c.h, 'video_captures', 1, dims) end
  if st == 'handled' then
    local earliest = tonumber(redis.call('HGET', key, 'handled_first_at'))
    if not earliest or c.t < earliest then
      redis.call('HSET', key, 'handled_first_at', c.t, 'handled_first_h', c.h)
    end
    redis.call('HSET', key, 'handled_at', c.t)
  end
  if st == 'rework' then redis.call('HINCRBY', key, 'rework_count', 1) end
  if st == 'verified' then redis.call('HSET', key, 'verified_at', c.t) end
  -- Current status: the latest event wins; at the same instant, the later stage.
  local cur = redis.call('HMGET', key, 'status_t', 'status_rank')
  local cur_t, cur_rank = tonumber(cur[1]) or -1, tonumber(cur[2]) or 0
  if c.t > cur_t or (c.t == cur_t and STATUS_RANK[st] >= cur_rank) then
    redis.call('HSET', key, 'status', st, 'status_t', c.t, 'status_rank', STATUS_RANK[st])
  end
  local closed = derive(key, c, dims)
  local terminal = closed or redis.call('HEXISTS', key, 'cancelled_at') == 1
  if terminal then
    redis.call('ZREM', P .. 'cases:open', c.id)
    redis.call('ZREM', P .. 'cases:deadline', c.id)
    local ended = closed or tonumber(redis.call('HGET', key, 'cancelled_at'))
    redis.call('ZADD', P .. 'cases:closed', ended, c.id)
  else
    local since = tonumber(redis.call('HGET', key, 'reported_at')) or c.t
    redis.call('ZADD', P .. 'cases:open', since, c.id)
    local deadline = redis.call('HGET', key, 'deadline')
    if deadline then redis.call('ZADD', P .. 'cases:deadline', deadline, c.id) end
  end
  changed_cases[#changed_cases + 1] = c.id
  topics.cases = true
  topics.kpi = true
end

-- Officers and cameras: last write wins by event time, so repeats are no-ops. --

local function apply_officer(o)
  local raw = redis.call('HGET', P .. 'state:officers', o.id)
  local s = raw and cjson.decode(raw) or {status = 'offline', st_t = 0, t = 0}
  local was_online = s.status ~= 'offline'
  s.grid = o.g
  if o.n then s.name = o.n end
  if o.lat and o.t >= (s.t or 0) then
    s.lat, s.lon, s.t = o.lat, o.lon, o.t
    local trail = P .. 'trail:' .. o.id
    redis.call('ZADD', trail, o.t, o.lat .. ',' .. o.lon .. ',' .. o.t)
    redis.call('ZREMRANGEBYRANK', trail, 0, -TRAIL_LEN - 1)
    redis.call('EXPIRE', trail, 86400)
  end
  if o.a == 'status' and o.t >= s.st_t then s.status, s.st_t = o.st, o.t end
  if o.a == 'checkin' then
    local day = P .. 'checkins:' .. o.d
    if redis.call('SADD', day, o.id) == 1 then
      redis.call('EXPIRE', day, 8 * 86400)
      count(o.h, 'checkins', 1, {'g:' .. o.g})
      s.checkin = o.t
    end
  end
  redis.call('HSET', P .. 'state:officers', o.id, cjson.encode(s))
  local is_online = s.status ~= 'offline'
  if is_online ~= was_online then
    local n = redis.call('INCRBY', P .. 'officers:online', is_online and 1 or -1)
    gauge(o.h, 'officers_online', n)
  end
  topics.officers = true
end

local function apply_camera(m)
  local raw = redis.call('HGET', P .. 'state:cameras', m.id)
  local s = raw and cjson.decode(raw) or {status = 'online', t = 0}
  if m.t < s.t then return end
  local was_offline = raw and s.status == 'offline'
  s.status, s.t, s.reason = m.st, m.t, m.r
  redis.call('HSET', P .. 'state:cameras', m.id, cjson.encode(s))
  local is_offline = m.st == 'offline'
  if is_offline ~= was_offline then
    local n = redis.call('INCRBY', P .. 'cameras:offline', is_offline and 1 or -1)
    gauge(m.h, 'cameras_offline', n)
  end
  topics.cameras = true
end

-- Hotline calls and approvals are counted: a repeat is caught by its event id. --

local function first_time(stream, event_id)
  return redis.call('SET', P .. 'seen:' .. stream .. ':' .. event_id, 1, 'NX', 'EX', DEDUP_TTL)
end

local function apply_call(h)
  if not first_time('hotline', h.e) then return end
  local dims = {'o:' .. h.out}
  if h.g then dims[2] = 'g:' .. h.g end
  count(h.h, 'hotline_calls', 1, dims)
  topics.kpi = true
end

local function apply_approval(a)
  if not first_time('approvals', a.e) then return end
  count(a.h, 'approvals_' .. a.st, 1, {'v:' .. a.svc})
  topics.kpi = true
end

local APPLY = {cases = apply_case, officers = apply_officer, cameras = apply_camera,
               hotline = apply_call, approvals = apply_approval}

for i = 1, #ops do
  local op = ops[i]
  APPLY[op.s](op)
  if op.t > latest then latest = op.t end
  ack(op.s, op.x)
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

for stream, ids in pairs(acks) do
  redis.call('XACK', P .. stream, GROUP, unpack(ids))
end
for key in pairs(touched_buckets) do redis.call('EXPIRE', key, BUCKET_TTL) end
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
    'clock', tostring(latest))
end
return #ops
