//! The live line a run shows on stderr while the load goes on: a spinner,
//! the time since the start, and the counts, drawn over itself at each
//! tick and cleared at the end; nothing at all with `--quiet` or when
//! stderr is not a terminal. A few lines of its own, not a progress-bar
//! crate: one line is all it draws, and indicatif (with its terminal and
//! atomics crates) was about 2.5 s of CPU in every new app's first build.

use std::io::Write;
use std::time::{Duration, Instant};

/// The spinner's frames, one per tick.
const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// Back to the start of the line, and the line erased: each drawing
/// replaces the last, however much shorter.
const REDRAW: &str = "\r\x1b[2K";

pub(super) struct ProgressLine {
    visible: bool,
    started: Instant,
    ticks: usize,
}

impl ProgressLine {
    /// A line drawn only when `visible`.
    pub(super) fn new(visible: bool) -> Self {
        ProgressLine {
            visible,
            started: Instant::now(),
            ticks: 0,
        }
    }

    /// Draws `message` after the next frame and the time so far.
    pub(super) fn show(&mut self, message: &str) {
        if !self.visible {
            return;
        }
        let frame = FRAMES[self.ticks % FRAMES.len()];
        self.ticks += 1;
        let elapsed = elapsed(self.started.elapsed());
        let mut stderr = std::io::stderr().lock();
        // A line that cannot be drawn is no reason to stop the run.
        let _ = write!(stderr, "{REDRAW}{frame} {elapsed} {message}");
        let _ = stderr.flush();
    }

    /// Erases the line, if one was drawn, for the report after it.
    pub(super) fn clear(&self) {
        if self.visible && self.ticks > 0 {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "{REDRAW}");
            let _ = stderr.flush();
        }
    }
}

/// `42s`, or `3m05s` from a minute on.
fn elapsed(time: Duration) -> String {
    let seconds = time.as_secs();
    match seconds {
        0..60 => format!("{seconds}s"),
        _ => format!("{}m{:02}s", seconds / 60, seconds % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_time_is_seconds_then_minutes_and_seconds() {
        assert_eq!(elapsed(Duration::from_millis(900)), "0s");
        assert_eq!(elapsed(Duration::from_secs(42)), "42s");
        assert_eq!(elapsed(Duration::from_secs(185)), "3m05s");
    }
}
