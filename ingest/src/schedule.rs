//! Adaptive polling: each source's interval follows how often it publishes,
//! within its bounds.
//!
//! Design note. Miniflux sets the interval from the entries per week;
//! Media Cloud stretches it while polls find only already-seen items. Both
//! react slowly to a burst, and neither notices that a feed's window
//! overflowed (every entry new: items were probably missed). Here, after
//! each successful poll:
//! - every entry of the feed was new (window overflow) → poll 4× sooner;
//! - nothing new (or 304 Not Modified) → 1.5× later;
//! - some new → aim at about one new item per poll: scale by 1/new, limited
//!   to [½, 2] per step so one odd poll does not swing it;
//!   and the result is clamped to [min, max]. The step rules are pure and
//!   unit-tested; the interval lives in memory (a restart starts again from
//!   the source's configured interval).

use std::time::Duration;

/// The bounds of one source's interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub start: Duration,
    pub min: Duration,
    pub max: Duration,
}

/// The next interval after a successful poll that saw `entries` entries of
/// which `new` were not seen before.
pub fn next_interval(current: Duration, entries: usize, new: usize, bounds: Bounds) -> Duration {
    let secs = current.as_secs_f64().max(1.0);
    let next = if entries > 1 && new == entries {
        secs / 4.0
    } else if new == 0 {
        secs * 1.5
    } else {
        secs * (1.0 / new as f64).clamp(0.5, 2.0)
    };
    Duration::from_secs_f64(next).clamp(bounds.min, bounds.max.max(bounds.min))
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: Bounds =
        Bounds { start: Duration::from_secs(300), min: Duration::from_secs(60), max: Duration::from_secs(3600) };

    fn s(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    #[test]
    fn quiet_sources_slow_down_to_the_maximum() {
        let mut i = B.start;
        for _ in 0..20 {
            i = next_interval(i, 10, 0, B);
        }
        assert_eq!(i, s(3600));
    }

    #[test]
    fn busy_sources_speed_up_to_the_minimum_and_overflow_reacts_fast() {
        assert_eq!(next_interval(s(300), 30, 5, B), s(150), "several new per poll: halve (bounded step)");
        assert_eq!(next_interval(s(300), 30, 1, B), s(300), "one new per poll: keep");
        assert_eq!(next_interval(s(1200), 20, 20, B), s(300), "whole window new: 4x sooner");
        assert_eq!(next_interval(s(100), 20, 20, B), s(60), "never under the minimum");
    }

    #[test]
    fn a_steady_publisher_converges_near_its_rate() {
        // One item every 10 minutes: polls every N s see about N/600 items.
        let mut i = B.start;
        for _ in 0..50 {
            let new = (i.as_secs_f64() / 600.0).round() as usize;
            i = next_interval(i, 20, new.min(20), B);
        }
        assert!((300..=1200).contains(&i.as_secs()), "{i:?}");
    }

    #[test]
    fn fixed_bounds_make_a_fixed_interval() {
        let fixed = Bounds { start: s(3), min: s(3), max: s(3) };
        assert_eq!(next_interval(s(3), 5, 0, fixed), s(3));
        assert_eq!(next_interval(s(3), 5, 5, fixed), s(3));
    }
}
