//! The Redis-side half of the envelope format: Lua scripts that run inside
//! Redis so that assigning an offset, storing and delivering a message are
//! one atomic step.
//!
//! Both scripts touch only keys of one channel (declared in `KEYS`, all
//! with the same hash tag), so they run unchanged on Redis Cluster.

/// Creates the channel's epoch when its metadata is missing (first publish,
/// or history lost). A new epoch starts from an empty stream.
macro_rules! ensure_epoch_lua {
    () => {
        r#"
local function ensure_epoch(stream, meta, ttl)
  local epoch = redis.call('HGET', meta, 'epoch')
  if epoch then
    return epoch
  end
  local t = redis.call('TIME')
  epoch = string.format('%x%05x', tonumber(t[1]), tonumber(t[2]))
  redis.call('DEL', stream)
  redis.call('HSET', meta, 'epoch', epoch, 'offset', 0)
  if ttl > 0 then
    redis.call('EXPIRE', meta, ttl)
  end
  return epoch
end
"#
    };
}

/// Publishes one message.
///
/// `KEYS`: stream, meta, and optionally an idempotency key.
/// `ARGV`: envelope head ([`crate::EnvelopeDraft::encode_head`]), delivery
/// topic, history size (entries), history TTL (seconds, 0 = none),
/// idempotency TTL (seconds), and the delivery command: `PUBLISH`, or
/// `SPUBLISH` on a Redis Cluster (the topic shares the stream's slot).
///
/// Returns `{offset, epoch, duplicate}`; `duplicate` is 1 when the
/// idempotency key had been seen, and then nothing was published again.
pub const PUBLISH: &str = concat!(
    ensure_epoch_lua!(),
    r#"
local stream, meta, idem = KEYS[1], KEYS[2], KEYS[3]
if idem then
  local seen = redis.call('GET', idem)
  if seen then
    local sep = string.find(seen, ':', 1, true)
    return {tonumber(string.sub(seen, 1, sep - 1)), string.sub(seen, sep + 1), 1}
  end
end
local ttl = tonumber(ARGV[4])
local epoch = ensure_epoch(stream, meta, ttl)
local offset = redis.call('HINCRBY', meta, 'offset', 1)
local t = redis.call('TIME')
local ts = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local envelope = ARGV[1] .. cmsgpack.pack(ts, offset, epoch)
redis.call('XADD', stream, string.format('%d-0', offset), 'e', envelope)
-- Keep the last `size` messages (ids are `{offset}-0`, so MINID trims by
-- offset), but never what a holder (an archiver, a pipeline stage) has not
-- finished with: the `floor` field is the lowest offset they all handled.
local keep_from = offset - tonumber(ARGV[3]) + 1
local floor = redis.call('HGET', meta, 'floor')
if floor then
  keep_from = math.min(keep_from, tonumber(floor) + 1)
end
if keep_from > 1 then
  redis.call('XTRIM', stream, 'MINID', '~', string.format('%d-0', keep_from))
end
if ttl > 0 then
  redis.call('EXPIRE', stream, ttl)
  redis.call('EXPIRE', meta, ttl)
end
redis.call(ARGV[6] or 'PUBLISH', ARGV[2], envelope)
if idem then
  redis.call('SET', idem, string.format('%d', offset) .. ':' .. epoch, 'EX', ARGV[5])
end
return {offset, epoch, 0}
"#
);

/// Records how far one holder (an archiver, a pipeline stage) has handled a
/// channel, and sets the channel's `floor` to the lowest of all holders, so
/// the publish script never trims what one of them still needs.
///
/// `KEYS`: meta, holds. `ARGV`: epoch (empty: any), holder, offset handled
/// through, or `release` to drop the holder, TTL in seconds (0 = none).
/// Returns 1 when recorded, 0 when the channel is in another epoch.
pub const HOLD: &str = r#"
if ARGV[3] == 'release' then
  redis.call('HDEL', KEYS[2], ARGV[2])
else
  if ARGV[1] ~= '' and redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[1] then
    return 0
  end
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
  if tonumber(ARGV[4]) > 0 then
    redis.call('EXPIRE', KEYS[2], ARGV[4])
  end
end
local lowest = nil
for _, value in ipairs(redis.call('HVALS', KEYS[2])) do
  local n = tonumber(value)
  if n and (not lowest or n < lowest) then
    lowest = n
  end
end
if lowest then
  redis.call('HSET', KEYS[1], 'floor', lowest)
else
  redis.call('HDEL', KEYS[1], 'floor')
end
return 1
"#;

/// Reads a channel's position, creating its epoch when it has none, so that
/// a subscriber always gets an epoch to recover from later.
///
/// `KEYS`: stream, meta. `ARGV`: history TTL (seconds, 0 = none).
/// Returns `{offset, epoch}`.
pub const POSITION: &str = concat!(
    ensure_epoch_lua!(),
    r#"
local epoch = ensure_epoch(KEYS[1], KEYS[2], tonumber(ARGV[1]))
local offset = tonumber(redis.call('HGET', KEYS[2], 'offset') or '0')
return {offset, epoch}
"#
);
