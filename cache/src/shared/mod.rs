//! `SharedStore`: the second tier, on Redis, shared by every instance that
//! points at the same Redis and key prefix.
//!
//! Each instance keeps its memory tier (the [`Store`](crate::Store)) in
//! front: a hit there costs no round trip. This tier is read on a memory
//! miss and before a stale entry is regenerated, written with every
//! regenerated entry, and holds what makes several instances act as one:
//! a lock per key so one instance regenerates it, tag and path membership,
//! invalidation versions, and a pub/sub channel that carries
//! `revalidate_tag` and `revalidate_path` to every instance.
//!
//! The client is the `redis` crate: the most used one, whose
//! `ConnectionManager` reconnects by itself after an outage, with async
//! pub/sub and Lua scripts on tokio, which is all this tier needs.
//!
//! Redis runs on a thread of its own (a small tokio runtime), so a slow
//! Redis never stalls an HTTP worker's event loop. Every call has a short
//! deadline; when Redis cannot be reached or does not answer in time, the
//! caller goes on without it (serving and regenerating from memory), the
//! outage is logged once, counted, and one call a second probes until
//! Redis answers again. A command Redis answers with an error (out of
//! memory, a key of the wrong type) is no outage: that key goes unshared
//! this time, and the error is counted and logged.
//!
//! Keys, under the prefix `P`:
//!
//! | key | type | holds |
//! |---|---|---|
//! | `P:e:{key}` | hash | `status`, `made` (unix ms), `headers`, `body`, `life` (its period and expire), `tags`, `sig` (with `[cache] secret`), and `expired` / `invalidated` flags |
//! | `P:l:{key}` | string | the regeneration lock, with its holder's token |
//! | `P:t:{tag}` | sorted set | the keys of the entries carrying the tag (responses and data alike, the engine's `_N_T_` tags of a route and a path included), scored by their expiry |
//! | `P:p:{path}` | sorted set | the entry keys of a path (one per query, where keyed by query) and of the data made for it, scored alike |
//! | `P:v:tag:{tag}`, `P:v:paths` | counter | invalidation versions, for catching up: one per tag the app's routes carry, and one per route's page tag |
//!
//! Every key but the counters expires: an entry after its period and the
//! grace (never past its `expire`), a lock after its life, a set with its
//! last member. The counters are as many as the app's tags, plus one.
//! | `P:events` | channel | `kind \t version \t origin \t name`; kind `tag`, `tag-now` (expired now) or `path` |
//!
//! # Layout
//!
//! - `store`: [`SharedStore`] and its calls, each within the deadline.
//! - `options`: [`SharedOptions`].
//! - `entry`: [`SharedEntry`], how an entry is encoded in its hash, and
//!   the checks of one read back (signed, readable, not from the future);
//!   `signature`: the HMAC with `[cache] secret`; `refusals`: entries not
//!   taken, counted and logged once per key.
//! - `events`: [`SharedEvent`], revalidations kept during an outage, and
//!   versions seen; `pubsub`: publishing, listening, catching up.
//! - `health`: whether Redis is up, what a failed call means (an outage,
//!   or an error for one key), and the once-a-second probe; `throttle`:
//!   one caller per interval; `metrics`: the tier's Prometheus text.
//! - `budget`: no entry written while Redis is at `shared_budget_bytes`.
//! - `state`: what every call on the Redis thread shares.
//! - `scripts`: the Lua scripts.

mod budget;
mod entry;
mod error;
mod events;
mod health;
mod metrics;
mod options;
mod peer_wait;
mod pubsub;
mod refusals;
mod scripts;
mod signature;
mod state;
mod store;
mod throttle;

pub(crate) use entry::SharedEntry;
pub use error::SharedStoreError;
pub use events::SharedEvent;
pub use options::SharedOptions;
pub(crate) use peer_wait::PeerTurn;
pub(crate) use store::LockToken;
pub use store::SharedStore;
pub(crate) use store::SharedWrite;
