//! What one entry costs in memory, which is what the byte budget counts:
//! not its body and headers alone, but every allocation the entry keeps
//! alive, the allocator's share of each, moka's nodes and the index's
//! records. Counting less lets a budget of N bytes hold several times N.
//!
//! `cache/tests/weight.rs` checks this against what a counting allocator
//! sees for 10,000 entries.

use std::mem::size_of;

use http::{HeaderName, HeaderValue};

use crate::entry::CacheEntry;

/// The bytes glibc's malloc takes for a request of `size`: the size and its
/// 8-byte header rounded up to 16, at least 32. Other allocators round
/// differently, by as much.
pub(crate) const fn heap(size: usize) -> usize {
    if size == 0 {
        return 0;
    }
    let chunk = (size + 8 + 15) & !15;
    if chunk < 32 {
        32
    } else {
        chunk
    }
}

/// moka 0.12's allocations for one entry of a `sync::Cache` with a weigher
/// and a time-to-idle (read from its source: `common/concurrent.rs`,
/// `entry_info.rs`, `deque.rs`, `cht/map/bucket.rs`): the `Arc` around
/// the key, `EntryInfo` (key hash, generations, timestamps, weight), the
/// `ValueEntry`, its `DeqNodes` behind a mutex, the access-order deque
/// node, the hash table's bucket, and the table's slots (grown at 70 % load,
/// so about two per entry). No write-order queue or timer wheel: those
/// come with a time-to-live or per-entry expiry, which the store has not.
const MOKA_PER_ENTRY: usize =
    heap(32) + heap(64) + heap(32) + heap(48) + heap(24) + heap(16) + 2 * size_of::<usize>();

/// The index's record of a key: its place in a B-tree of every key (a
/// 64-byte slot in nodes of eleven, a little over half full when keys come
/// in order, two thirds when they come at random).
const INDEX_PER_KEY: usize = 112;

/// The timer's schedule: a 40-byte slot in a B-tree ordered by time, so
/// filled in order.
const INDEX_PER_DEADLINE: usize = 80;

/// One tag's set of keys: a 16-byte slot and its control byte in a hash
/// set between 44 % and 88 % full.
const INDEX_PER_TAG: usize = 28;

/// The bytes a shared buffer (`Bytes`) holds: the buffer, and the small
/// record `bytes` makes at its first clone, which every hit is.
fn owned_bytes(len: usize) -> usize {
    match len {
        0 => 0,
        _ => heap(len) + heap(3 * size_of::<usize>()),
    }
}

/// The entry's own list of tags (its `cache_tag`s, its data's tags): the
/// slice behind the `Arc` and each tag's text. A list shared with the
/// segment's other entries is the segment's, held once however many
/// entries there are, and counted for none of them.
fn own_tags(entry: &CacheEntry) -> usize {
    if entry.shares_tags() {
        return 0;
    }
    let arc = 2 * size_of::<usize>();
    let list = heap(arc + entry.tags.len() * size_of::<String>());
    list + entry
        .tags
        .iter()
        .map(|tag| heap(tag.capacity()))
        .sum::<usize>()
}

/// What the entry for `key` costs. A header value is counted as owned,
/// though one made with `from_static` costs nothing: the difference is a
/// few dozen bytes, on the safe side. A header name costs nothing (those
/// of http's table do not; a custom one's few bytes are not counted).
pub(crate) fn entry_weight(key: &str, entry: &CacheEntry) -> usize {
    let response = &entry.response;
    let header_slots = response.headers.capacity() * size_of::<(HeaderName, HeaderValue)>();
    let header_values: usize = response
        .headers
        .iter()
        .map(|(_, value)| owned_bytes(value.len()))
        .sum();
    let scheduled = match entry.lifetime.revalidate {
        Some(_) => INDEX_PER_DEADLINE,
        None => 0,
    };
    // Strong and weak counts head every `Arc`.
    let arc = 2 * size_of::<usize>();
    MOKA_PER_ENTRY
        + heap(arc + key.len())
        + heap(arc + size_of::<CacheEntry>())
        + heap(header_slots)
        + header_values
        + owned_bytes(response.body.len())
        + INDEX_PER_KEY
        + scheduled
        + own_tags(entry)
        + entry.tags.len() * INDEX_PER_TAG
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use http::StatusCode;

    use super::*;
    use crate::entry::{CachedResponse, Lifetime};

    fn tagged(tags: &[&str]) -> CacheEntry {
        let response = CachedResponse {
            status: StatusCode::OK,
            headers: vec![],
            body: "{}".into(),
        };
        let lifetime = Lifetime {
            revalidate: None,
            expire: Duration::from_secs(60),
        };
        let tags: Arc<[String]> = tags.iter().map(|t| t.to_string()).collect();
        CacheEntry::new(response, Instant::now(), lifetime, 0, Arc::default(), tags)
    }

    #[test]
    fn an_entrys_own_tags_are_counted_and_its_segments_shared_list_is_not() {
        let own = tagged(&["product-1", "products"]);
        let bare = entry_weight("/p/1", &tagged(&[]));
        // The slice of two `String`s behind its `Arc`, and each tag's text.
        let list = heap(16 + 2 * size_of::<String>()) + heap(9) + heap(8);
        let index = 2 * INDEX_PER_TAG;
        // An empty list is an `Arc` too, counted in `bare`.
        assert_eq!(entry_weight("/p/1", &own), bare - heap(16) + list + index);
        let shared = tagged(&["product-1", "products"]).sharing_tags();
        assert_eq!(entry_weight("/p/1", &shared), bare - heap(16) + index);
    }

    #[test]
    fn the_allocator_rounds_to_sixteen_with_a_floor_of_thirty_two() {
        assert_eq!(heap(0), 0);
        assert_eq!(heap(1), 32);
        assert_eq!(heap(24), 32);
        assert_eq!(heap(25), 48);
        assert_eq!(heap(40), 48);
        assert_eq!(heap(41), 64);
    }
}
