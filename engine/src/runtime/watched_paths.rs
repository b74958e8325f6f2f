//! The paths `trellis.toml`'s `[[headers]]` and `[[redirects]]` and the
//! proxy's matcher can see, known by the literal text each matcher starts
//! with. A request outside them is neither decoded nor shown to a rule,
//! so an app's rules cost nothing to paths they do not name.

/// The literal starts of the rules' and the proxy's matchers, each spelled
/// as a decoded path spells it. Empty: nothing reads requests.
#[derive(Default)]
pub(crate) struct WatchedPaths {
    starts: Vec<String>,
    /// The bytes a start has after its first `/`, in either case: most
    /// paths are told apart by that byte alone.
    second_bytes: ByteSet,
}

/// A set of bytes, a bit each.
#[derive(Default)]
struct ByteSet([u64; 4]);

impl ByteSet {
    fn insert(&mut self, byte: u8) {
        self.0[usize::from(byte / 64)] |= 1 << (byte % 64);
    }

    fn contains(&self, byte: u8) -> bool {
        self.0[usize::from(byte / 64)] & (1 << (byte % 64)) != 0
    }
}

impl WatchedPaths {
    /// From the literal starts of every matcher (`""` for one that matches
    /// any path).
    pub(crate) fn new<'a>(starts: impl IntoIterator<Item = &'a str>) -> Self {
        let mut starts: Vec<String> = starts.into_iter().map(str::to_string).collect();
        starts.sort();
        starts.dedup();
        // A start that covers every path (`""`, `/`) makes the others moot.
        if starts.iter().any(|s| s.is_empty() || s == "/") {
            starts = vec![String::new()];
        }
        let mut second_bytes = ByteSet::default();
        for start in &starts {
            match start.as_bytes().get(1) {
                Some(&byte) => {
                    second_bytes.insert(byte.to_ascii_lowercase());
                    second_bytes.insert(byte.to_ascii_uppercase());
                }
                // A start of one byte or none: any path may be seen.
                None => (0..=u8::MAX).for_each(|byte| second_bytes.insert(byte)),
            }
        }
        WatchedPaths {
            starts,
            second_bytes,
        }
    }

    /// Whether a matcher could see `path`, as sent (still encoded). A `%`
    /// could spell any literal once decoded, so such a path is always seen.
    pub(crate) fn may_see(&self, path: &str) -> bool {
        if self.starts.is_empty() {
            return false;
        }
        // `/` alone has no second byte: read as `/`, which no start of two
        // bytes or more has.
        let second = path.as_bytes().get(1).copied().unwrap_or(b'/');
        let under_a_start = self.second_bytes.contains(second)
            && self.starts.iter().any(|start| starts_with(path, start));
        under_a_start || path.bytes().any(|byte| byte == b'%')
    }
}

/// Whether `path` starts with `start`, ASCII case aside, as matchers match.
fn starts_with(path: &str, start: &str) -> bool {
    path.as_bytes()
        .get(..start.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(start.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_seen_under_a_start_in_any_case_or_when_encoded() {
        let watched = WatchedPaths::new(["/admin", "/api", "/admin"]);
        assert!(watched.may_see("/admin") && watched.may_see("/API/x"));
        assert!(watched.may_see("/administrator"), "the matcher decides");
        assert!(watched.may_see("/%61dmin"), "decoded, it may be /admin");
        assert!(!watched.may_see("/posts") && !watched.may_see("/ad"));
        assert!(!watched.may_see("/") && !watched.may_see("/b"));
    }

    #[test]
    fn a_matcher_of_every_path_sees_every_path_and_none_sees_none() {
        assert!(WatchedPaths::new(["/api", ""]).may_see("/posts"));
        assert!(WatchedPaths::new(["/"]).may_see("/posts"));
        assert!(WatchedPaths::new(["/api", ""]).may_see("/"));
        assert!(!WatchedPaths::new([]).may_see("/%61dmin"));
    }
}
