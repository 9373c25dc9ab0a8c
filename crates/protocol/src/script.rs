//! The Redis-side half of the envelope format: Lua scripts that run inside
//! Redis so that assigning an offset, storing and delivering a message are
//! one atomic step.
//!
//! The channel scripts touch only keys of one channel (declared in `KEYS`,
//! all with the same hash tag), so they run unchanged on Redis Cluster; the
//! lease scripts touch only their one lease key.

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
/// idempotency TTL (seconds), the delivery command: `PUBLISH`, or
/// `SPUBLISH` on a Redis Cluster (the topic shares the stream's slot), and
/// the payload's fingerprint (kept with the idempotency key).
///
/// Returns `{offset, epoch, verdict}`: `verdict` is 0 for a new message, 1
/// when the idempotency key had been seen with the same payload, 2 when it
/// had been seen with another payload; in both last cases nothing was
/// published again, and the offset is the first message's.
pub const PUBLISH: &str = concat!(
    ensure_epoch_lua!(),
    r#"
local stream, meta, idem = KEYS[1], KEYS[2], KEYS[3]
if idem then
  -- `{offset}:{epoch}:{fingerprint}`; the fingerprint is absent in records
  -- written before it existed, and those match any payload.
  local seen = redis.call('GET', idem)
  if seen then
    local sep = string.find(seen, ':', 1, true)
    local rest = string.sub(seen, sep + 1)
    local epoch, fingerprint = rest, ''
    local sep2 = string.find(rest, ':', 1, true)
    if sep2 then
      epoch = string.sub(rest, 1, sep2 - 1)
      fingerprint = string.sub(rest, sep2 + 1)
    end
    local verdict = 1
    if fingerprint ~= '' and (ARGV[7] or '') ~= '' and fingerprint ~= ARGV[7] then
      verdict = 2
    end
    return {tonumber(string.sub(seen, 1, sep - 1)), epoch, verdict}
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
  redis.call('SET', idem, string.format('%d', offset) .. ':' .. epoch .. ':' .. (ARGV[7] or ''), 'EX', ARGV[5])
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

/// Creates a channel's epoch when it has none and returns its position,
/// for trusted writers that must start a consumer group on a channel's
/// stream before its first message (the first publish of a channel without
/// an epoch starts the stream afresh, which would drop the group). Never
/// run for a reader: [`POSITION`] is the read.
///
/// `KEYS`: stream, meta. `ARGV`: history TTL (seconds, 0 = none).
/// Returns `{offset, epoch}`.
pub const ENSURE_EPOCH: &str = concat!(
    ensure_epoch_lua!(),
    r#"
local epoch = ensure_epoch(KEYS[1], KEYS[2], tonumber(ARGV[1]))
local offset = tonumber(redis.call('HGET', KEYS[2], 'offset') or '0')
return {offset, epoch}
"#
);

/// Reads a channel's position without writing anything: a channel nobody
/// has published to has no keys, and reading it creates none (anonymous
/// readers must not be able to make Redis grow). Its position is offset 0
/// in the empty epoch `""`, which readers treat as "before the first
/// epoch": the first publish creates the epoch, and a client that saw
/// offset 0 of `""` recovers from offset 1 of whatever epoch exists then.
///
/// `KEYS`: stream, meta. `ARGV`: unused.
/// Returns `{offset, epoch}`.
pub const POSITION: &str = r#"
local fields = redis.call('HMGET', KEYS[2], 'epoch', 'offset')
if not fields[1] then
  return {0, ''}
end
return {tonumber(fields[2] or '0'), fields[1]}
"#;

/// Takes a lease when it is free, renews it when it is ours: the one step
/// that makes a lease owned by exactly one live owner at a time.
///
/// `KEYS`: the lease key. `ARGV`: owner, TTL in milliseconds.
/// Returns 1 when the owner holds the lease afterwards, 0 when another
/// owner holds it.
pub const LEASE_ACQUIRE_OR_RENEW: &str = r#"
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"#;

/// Gives a lease back if the owner holds it (never another owner's).
///
/// `KEYS`: the lease key. `ARGV`: owner.
/// Returns 1 when the lease was the owner's and is now free, else 0.
pub const LEASE_RELEASE: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"#;
