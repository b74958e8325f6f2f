//! Which cores this process may run on, from the kernel's CPU lists: a
//! load generator pinned to cores of its own (`taskset`) may keep them busy.

/// The `Cpus_allowed_list` of this process, as the kernel writes it
/// (`0-1`, `1`, `0-3,8`).
pub fn allowed_cpus() -> Option<String> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))
        .map(|list| list.trim().to_string())
}

/// The machine's cores that are online, pinned to or not.
pub fn online_cpus() -> Option<usize> {
    std::fs::read_to_string("/sys/devices/system/cpu/online")
        .ok()
        .and_then(|list| count_cpu_list(&list))
}

/// Whether `threads` load threads can each have a core to themselves: the
/// process was pinned (`taskset`) to some of the machine's cores, at least
/// one a thread. Unpinned, the load shares cores with whatever it loads.
pub fn owns_cores(threads: usize) -> bool {
    let allowed = allowed_cpus().and_then(|list| count_cpu_list(&list));
    matches!((allowed, online_cpus()), (Some(allowed), Some(online)) if allowed >= threads && allowed < online)
}

/// Counts the CPUs in a kernel CPU list such as `0-3,8,10-11`.
fn count_cpu_list(list: &str) -> Option<usize> {
    list.trim().split(',').try_fold(0, |count, part| {
        let (first, last) = part.split_once('-').unwrap_or((part, part));
        let (first, last) = (
            first.trim().parse::<usize>().ok()?,
            last.trim().parse::<usize>().ok()?,
        );
        Some(count + last.checked_sub(first)? + 1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_count_ranges_and_single_cpus() {
        assert_eq!(count_cpu_list("0-1\n"), Some(2));
        assert_eq!(count_cpu_list("1"), Some(1));
        assert_eq!(count_cpu_list("0-3,8,10-11"), Some(7));
        assert_eq!(count_cpu_list("3-1"), None);
        assert_eq!(count_cpu_list("all"), None);
    }
}
