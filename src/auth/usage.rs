//! API calls counted per user and calendar month (UTC).
//!
//! Requests add to an in-memory tally; every few seconds (and at shutdown)
//! the tally is added to `(:Usage {uid: "<user>:<YYYY-MM>"})` nodes as deltas,
//! so several processes on one data directory add up rather than overwrite.

use std::collections::HashMap;
use std::sync::Mutex;

use time::OffsetDateTime;

use crate::graph::{GraphError, GraphStore, Value};
use crate::params;

const ADD: &str = include_str!("../../cypher/auth/usage_add.cypher");
const GET: &str = include_str!("../../cypher/auth/usage_get.cypher");

/// A billing period: the calendar month of `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// `YYYY-MM`.
    pub name: String,
    /// First instant, RFC 3339.
    pub start: String,
    /// First instant of the next period, RFC 3339.
    pub end: String,
}

impl Period {
    pub fn of(at: OffsetDateTime) -> Period {
        let start = at
            .replace_day(1)
            .and_then(|d| d.replace_time(time::Time::MIDNIGHT).replace_nanosecond(0))
            .unwrap_or(at);
        let (y, m) = match start.month() {
            time::Month::December => (start.year() + 1, time::Month::January),
            m => (start.year(), m.next()),
        };
        let end = start
            .replace_year(y)
            .and_then(|d| d.replace_month(m))
            .unwrap_or(start);
        Period {
            name: format!("{:04}-{:02}", start.year(), u8::from(start.month())),
            start: crate::graph::time::rfc3339(start),
            end: crate::graph::time::rfc3339(end),
        }
    }

    pub fn current() -> Period {
        Period::of(OffsetDateTime::now_utc())
    }
}

/// Calls not yet written to the graph, by (user id, period).
#[derive(Default)]
pub struct Usage {
    pending: Mutex<HashMap<(String, String), u64>>,
}

impl Usage {
    /// Count one API call by `user_id`.
    pub fn record(&self, user_id: &str) {
        let period = Period::current().name;
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        *p.entry((user_id.to_string(), period)).or_default() += 1;
    }

    /// Add the tally to the graph. On failure the tally is kept for the next try.
    pub async fn flush(&self, store: &dyn GraphStore) -> Result<(), GraphError> {
        let taken: Vec<((String, String), u64)> = {
            let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            p.drain().collect()
        };
        let mut failed = None;
        for ((user, period), n) in taken {
            if failed.is_some() {
                self.put_back(user, period, n);
                continue;
            }
            let uid = format!("{user}:{period}");
            let r = store
                .write(
                    ADD,
                    params! { "uid" => &uid, "user" => &user, "period" => &period, "n" => n },
                )
                .await;
            if let Err(e) = r {
                self.put_back(user, period, n);
                failed = Some(e);
            }
        }
        failed.map_or(Ok(()), Err)
    }

    fn put_back(&self, user: String, period: String, n: u64) {
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        *p.entry((user, period)).or_default() += n;
    }

    /// Calls by `user_id` in `period`: stored plus not yet written.
    pub async fn calls(
        &self,
        store: &dyn GraphStore,
        user_id: &str,
        period: &str,
    ) -> Result<u64, GraphError> {
        let uid = format!("{user_id}:{period}");
        let rows = store.read(GET, params! { "uid" => &uid }).await?;
        let stored = rows.first("api_calls").and_then(Value::as_u64).unwrap_or(0);
        let pending = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(user_id.to_string(), period.to_string()))
            .copied()
            .unwrap_or(0);
        Ok(stored + pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_calendar_months() {
        let at = time::macros::datetime!(2026-12-31 23:59:59 UTC);
        let p = Period::of(at);
        assert_eq!(p.name, "2026-12");
        assert_eq!(p.start, "2026-12-01T00:00:00Z");
        assert_eq!(p.end, "2027-01-01T00:00:00Z");
        let p = Period::of(time::macros::datetime!(2026-02-14 10:00 UTC));
        assert_eq!(
            (p.start.as_str(), p.end.as_str()),
            ("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z")
        );
    }
}
