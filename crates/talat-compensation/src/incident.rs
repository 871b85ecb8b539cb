//! An incident: the window it covers and what it touched. The window is closed at both ends
//! (a request at exactly t1 counts) and bounded, so an incident cannot sweep a whole year of
//! evidence by a typo.

use crate::assess::RequestKind;
use serde::{Deserialize, Serialize};

/// The longest window one incident may cover: 7 days. A longer outage is several incidents.
pub const MAX_WINDOW_MS: u64 = 7 * 24 * 3_600_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub t0_ms: u64,
    pub t1_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IncidentError {
    #[error("the window ends before it starts (t1 {t1_ms} < t0 {t0_ms})")]
    EndsBeforeStart { t0_ms: u64, t1_ms: u64 },
    #[error("the window is empty (t1 = t0)")]
    Empty,
    #[error("the window is longer than 7 days: define one incident per part")]
    TooLong,
    #[error("the window has not ended yet (t1 is after now): compensation needs the whole window")]
    NotOver,
    #[error("the scope names no market and no request kind")]
    EmptyScope,
    #[error("four eyes: the staff member who prepared this incident cannot approve it")]
    PreparerApproves,
}

/// Four eyes: an incident's credits are approved by someone other than who prepared them.
pub fn check_four_eyes(prepared_by: u64, approver: u64) -> Result<(), IncidentError> {
    if prepared_by == approver {
        return Err(IncidentError::PreparerApproves);
    }
    Ok(())
}

impl Window {
    /// A window that has ended by `now_ms`.
    pub fn new(t0_ms: u64, t1_ms: u64, now_ms: u64) -> Result<Window, IncidentError> {
        if t1_ms < t0_ms {
            return Err(IncidentError::EndsBeforeStart { t0_ms, t1_ms });
        }
        if t1_ms == t0_ms {
            return Err(IncidentError::Empty);
        }
        if t1_ms - t0_ms > MAX_WINDOW_MS {
            return Err(IncidentError::TooLong);
        }
        if t1_ms > now_ms {
            return Err(IncidentError::NotOver);
        }
        Ok(Window { t0_ms, t1_ms })
    }

    pub fn contains(&self, ts_ms: u64) -> bool {
        (self.t0_ms..=self.t1_ms).contains(&ts_ms)
    }
}

/// The window and its scope. Markets are engine market indices; `kinds` are the request kinds
/// that count even without a market (a refused login or withdrawal); `networks` are recorded
/// as the operator wrote them (deposit/withdrawal networks: evidence for those is not logged
/// per network yet, so they describe the incident rather than select customers).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub window: Window,
    pub markets: Vec<u32>,
    pub kinds: Vec<RequestKind>,
    pub networks: Vec<String>,
}

impl Incident {
    pub fn new(window: Window, mut markets: Vec<u32>, mut kinds: Vec<RequestKind>, networks: Vec<String>) -> Result<Incident, IncidentError> {
        markets.sort_unstable();
        markets.dedup();
        kinds.sort_unstable();
        kinds.dedup();
        if markets.is_empty() && kinds.is_empty() {
            return Err(IncidentError::EmptyScope);
        }
        Ok(Incident { window, markets, kinds, networks })
    }

    /// Whether a refused request at `ts_ms` in `market` (if it named one) of `kind` is evidence.
    pub fn covers(&self, ts_ms: u64, market: Option<u32>, kind: RequestKind) -> bool {
        if !self.window.contains(ts_ms) {
            return false;
        }
        match market {
            Some(m) => self.markets.contains(&m),
            None => self.kinds.contains(&kind),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preparer_cannot_approve() {
        assert_eq!(check_four_eyes(7, 7), Err(IncidentError::PreparerApproves));
        assert_eq!(check_four_eyes(7, 8), Ok(()));
    }

    #[test]
    fn a_window_must_end_after_it_starts_and_be_over() {
        assert_eq!(Window::new(10, 5, 100), Err(IncidentError::EndsBeforeStart { t0_ms: 10, t1_ms: 5 }));
        assert_eq!(Window::new(10, 10, 100), Err(IncidentError::Empty));
        assert_eq!(Window::new(10, 200, 100), Err(IncidentError::NotOver));
        assert_eq!(Window::new(0, MAX_WINDOW_MS + 1, u64::MAX), Err(IncidentError::TooLong));
        let w = Window::new(10, 20, 100).unwrap();
        assert!(w.contains(10) && w.contains(20) && !w.contains(21) && !w.contains(9));
    }

    #[test]
    fn scope_selects_by_market_or_by_kind_without_one() {
        let w = Window::new(10, 20, 100).unwrap();
        assert_eq!(Incident::new(w, vec![], vec![], vec![]), Err(IncidentError::EmptyScope));
        let i = Incident::new(w, vec![1, 1], vec![RequestKind::Login], vec![]).unwrap();
        assert_eq!(i.markets, vec![1]);
        assert!(i.covers(15, Some(1), RequestKind::Place));
        assert!(!i.covers(15, Some(2), RequestKind::Place));
        assert!(i.covers(15, None, RequestKind::Login));
        assert!(!i.covers(15, None, RequestKind::Withdraw));
        assert!(!i.covers(25, Some(1), RequestKind::Place));
    }
}
