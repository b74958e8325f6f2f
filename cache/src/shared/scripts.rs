//! The Lua scripts the tier runs, each one atomic in Redis.

use redis::Script;

pub(super) struct Scripts {
    pub put: Script,
    pub unlock: Script,
    pub revalidate: Script,
}

impl Scripts {
    pub(super) fn new() -> Self {
        Scripts {
            put: Script::new(PUT_SCRIPT),
            unlock: Script::new(UNLOCK_SCRIPT),
            revalidate: Script::new(REVALIDATE_SCRIPT),
        }
    }
}

/// KEYS: entry, lock, then the sets it joins (its path's, if it has one,
/// and its tags'). ARGV: ttl ms, status, made (unix ms, the writer's now),
/// headers, body, lock token (empty: none held), signature (empty: none),
/// lifetime (`<period ms or -> <expire ms>`), tags (one a line).
///
/// A membership set is a sorted set scored by each member's expiry, so a
/// write first drops the members already gone: a set holds the live
/// entries only, however many keys come and go, and lives as long as its
/// longest-lived member. Whatever else holds a set's key (a stray string,
/// an older Trellis's plain set) is replaced, as the entry's own key is.
const PUT_SCRIPT: &str = r"
local ttl = tonumber(ARGV[1])
local now = tonumber(ARGV[3])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'made', ARGV[3], 'headers', ARGV[4], 'body', ARGV[5], 'life', ARGV[8], 'tags', ARGV[9])
if ARGV[7] ~= '' then
  redis.call('HSET', KEYS[1], 'sig', ARGV[7])
end
redis.call('PEXPIRE', KEYS[1], ttl)
for i = 3, #KEYS do
  local kind = redis.call('TYPE', KEYS[i])['ok']
  if kind ~= 'zset' and kind ~= 'none' then
    redis.call('DEL', KEYS[i])
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  redis.call('ZADD', KEYS[i], now + ttl, KEYS[1])
  if redis.call('PTTL', KEYS[i]) < ttl then
    redis.call('PEXPIRE', KEYS[i], ttl)
  end
end
if ARGV[6] ~= '' and redis.pcall('GET', KEYS[2]) == ARGV[6] then
  redis.call('DEL', KEYS[2])
end
return 1
";

/// KEYS: lock. ARGV: token.
const UNLOCK_SCRIPT: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// KEYS: member set, and the version counter when the name is one the app
/// declares. ARGV: flag, channel, kind, origin, name, now (unix ms).
/// Flags every live member, bumps the version, publishes; returns the
/// version (0 without a counter).
///
/// A revalidation must get through whatever else is in Redis: a member
/// that is no hash is skipped, and a counter that is no number leaves the
/// version at 0. Without a counter (a tag no route carries) nothing is
/// created: such a revalidation writes no key.
const REVALIDATE_SCRIPT: &str = r"
local now = tonumber(ARGV[6])
if redis.call('TYPE', KEYS[1])['ok'] == 'zset' then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  for _, key in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    if redis.call('TYPE', key)['ok'] == 'hash' then
      redis.call('HSET', key, ARGV[1], '1')
    end
  end
end
local version = 0
if KEYS[2] then
  local bumped = redis.pcall('INCR', KEYS[2])
  if type(bumped) == 'number' then
    version = bumped
  end
end
redis.call('PUBLISH', ARGV[2], ARGV[3] .. '\t' .. version .. '\t' .. ARGV[4] .. '\t' .. ARGV[5])
return version
";
