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

/// KEYS: entry, lock, path set, tag sets. ARGV: ttl ms, status, made,
/// headers, body, lock token (empty: none held).
const PUT_SCRIPT: &str = r"
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'made', ARGV[3], 'headers', ARGV[4], 'body', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
for i = 3, #KEYS do
  redis.call('SADD', KEYS[i], KEYS[1])
  if redis.call('PTTL', KEYS[i]) < tonumber(ARGV[1]) then
    redis.call('PEXPIRE', KEYS[i], ARGV[1])
  end
end
if ARGV[6] ~= '' and redis.call('GET', KEYS[2]) == ARGV[6] then
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

/// KEYS: member set, version counter. ARGV: flag, channel, kind, origin,
/// name. Flags every member still present, bumps the version, publishes.
const REVALIDATE_SCRIPT: &str = r"
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', key) == 1 then
    redis.call('HSET', key, ARGV[1], '1')
  end
end
local version = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[2], ARGV[3] .. '\t' .. version .. '\t' .. ARGV[4] .. '\t' .. ARGV[5])
return version
";
