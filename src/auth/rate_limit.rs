//! Rate limits: a GCRA bucket per (caller, endpoint class), in memory.
//!
//! GCRA keeps one timestamp per bucket, the theoretical arrival time (TAT):
//! with `limit` requests per minute each request moves the TAT one emission
//! interval (`60 s / limit`) ahead, and a request is refused when the TAT is
//! more than a minute ahead of now. A quiet caller may burst `limit` requests,
//! then gets one every interval. Buckets idle for two minutes are dropped.
//!
//! One node only: with several nodes behind a balancer each node counts on
//! its own, so a caller gets up to `nodes × limit`; a shared store (Redis
//! `GCRA` scripts, or sticky routing by key) would be needed for exact limits.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderValue, Method};
use moka::sync::Cache;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What kind of work a request is, for its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// Reads and searches.
    Query,
    /// Uploads and analyses.
    Submission,
    /// File and report downloads.
    Download,
    /// Password logins (per user name and per client address).
    Login,
}

impl Class {
    /// The class of a request, from its method and route template.
    pub fn of(method: &Method, route: &str) -> Class {
        let route = route.trim_end_matches('/');
        if *method == Method::POST
            && matches!(
                route,
                "/api/v1/binaries" | "/api/v1/analysis" | "/api/v1/validate"
            )
        {
            Class::Submission
        } else if *method == Method::GET
            && (route.ends_with("/file")
                || route.ends_with("/download")
                || route.ends_with("/report"))
        {
            Class::Download
        } else {
            Class::Query
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Class::Query => "query",
            Class::Submission => "submission",
            Class::Download => "download",
            Class::Login => "login",
        }
    }
}

/// The limits of a tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// Query requests per minute (every request not in another class).
    pub requests_per_min: u32,
    /// Uploads and analysis submissions per minute.
    pub submissions_per_min: u32,
    /// Downloads per minute.
    pub downloads_per_min: u32,
    /// Submissions in progress at once.
    pub concurrent_jobs: u32,
}

impl Tier {
    pub fn limit(&self, class: Class) -> u32 {
        match class {
            Class::Query | Class::Login => self.requests_per_min,
            Class::Submission => self.submissions_per_min,
            Class::Download => self.downloads_per_min,
        }
    }
}

/// The tiers every installation has; `bingraph.toml` may change them or add more.
pub fn default_tiers() -> BTreeMap<String, Tier> {
    let tier = |r, s, d, c| Tier {
        requests_per_min: r,
        submissions_per_min: s,
        downloads_per_min: d,
        concurrent_jobs: c,
    };
    BTreeMap::from([
        ("starter".to_string(), tier(60, 10, 20, 2)),
        ("professional".to_string(), tier(300, 60, 100, 10)),
        ("enterprise".to_string(), tier(6_000, 600, 2_000, 64)),
    ])
}

/// The outcome of one check, and what the response headers say.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Decision {
    pub class: Class,
    /// Requests per minute in this class.
    pub limit: u32,
    /// Requests left before the caller is refused.
    pub remaining: u32,
    /// Unix time (seconds) when the bucket is full again.
    pub reset: u64,
    /// Seconds to wait, when refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl Decision {
    pub fn allowed(&self) -> bool {
        self.retry_after.is_none()
    }

    /// `X-RateLimit-Limit`, `-Remaining`, `-Reset`, and `Retry-After` when refused.
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        headers.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("x-ratelimit-reset", HeaderValue::from(self.reset));
        if let Some(wait) = self.retry_after {
            headers.insert("retry-after", HeaderValue::from(wait));
        }
    }
}

/// GCRA buckets for every caller and class.
pub struct RateLimiter {
    period: Duration,
    /// The TAT of each bucket.
    buckets: Cache<(String, Class), Arc<Mutex<Instant>>>,
}

impl RateLimiter {
    /// Limits are counted per `period` (a minute in the service).
    pub fn new(period: Duration) -> Self {
        RateLimiter {
            period,
            buckets: Cache::builder()
                .max_capacity(1_000_000)
                .time_to_idle(period * 2)
                .build(),
        }
    }

    /// Count one request of `class` by `who` against `limit` per period.
    pub fn check(&self, who: &str, class: Class, limit: u32) -> Decision {
        self.decide(who, class, limit, true)
    }

    /// The state of a bucket, counting nothing.
    pub fn peek(&self, who: &str, class: Class, limit: u32) -> Decision {
        self.decide(who, class, limit, false)
    }

    fn decide(&self, who: &str, class: Class, limit: u32, take: bool) -> Decision {
        let limit = limit.max(1);
        let interval = self.period / limit;
        let tolerance = self.period.saturating_sub(interval);
        let now = Instant::now();
        let cell = self
            .buckets
            .get_with((who.to_string(), class), || Arc::new(Mutex::new(now)));
        let mut tat = cell.lock().unwrap_or_else(|p| p.into_inner());
        let start = (*tat).max(now);
        let ahead = start - now;
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let reset_at =
            |ahead: Duration| (wall + ahead).as_secs() + u64::from(ahead.subsec_nanos() > 0);
        if take && ahead > tolerance {
            let wait = ahead - tolerance;
            return Decision {
                class,
                limit,
                remaining: 0,
                reset: reset_at(ahead),
                retry_after: Some(wait.as_secs() + u64::from(wait.subsec_nanos() > 0)),
            };
        }
        let ahead = if take {
            *tat = start + interval;
            ahead + interval
        } else {
            ahead
        };
        let left = self.period.saturating_sub(ahead);
        let remaining = (left.as_nanos() / interval.as_nanos().max(1)) as u32;
        Decision {
            class,
            limit,
            remaining: remaining.min(limit),
            reset: reset_at(ahead),
            retry_after: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_limit_then_refusal_with_a_wait() {
        let rl = RateLimiter::new(Duration::from_secs(60));
        let remaining: Vec<u32> = (0..3)
            .map(|_| {
                let d = rl.check("k", Class::Query, 3);
                assert!(d.allowed());
                d.remaining
            })
            .collect();
        assert_eq!(remaining, vec![2, 1, 0]);
        let refused = rl.check("k", Class::Query, 3);
        assert!(!refused.allowed());
        // One slot frees up every 20 s.
        let wait = refused.retry_after.unwrap();
        assert!((19..=20).contains(&wait), "{wait}");
        // Other callers and classes have their own buckets.
        assert!(rl.check("other", Class::Query, 3).allowed());
        assert!(rl.check("k", Class::Submission, 3).allowed());
        // Peeking takes nothing.
        assert_eq!(rl.peek("fresh", Class::Query, 3).remaining, 3);
        assert_eq!(rl.peek("fresh", Class::Query, 3).remaining, 3);
    }

    #[test]
    fn buckets_refill_over_time() {
        let rl = RateLimiter::new(Duration::from_millis(200));
        for _ in 0..2 {
            assert!(rl.check("k", Class::Query, 2).allowed());
        }
        assert!(!rl.check("k", Class::Query, 2).allowed());
        std::thread::sleep(Duration::from_millis(120));
        assert!(rl.check("k", Class::Query, 2).allowed());
    }

    #[test]
    fn routes_fall_into_classes() {
        assert_eq!(
            Class::of(&Method::POST, "/api/v1/binaries"),
            Class::Submission
        );
        assert_eq!(Class::of(&Method::GET, "/api/v1/binaries"), Class::Query);
        assert_eq!(
            Class::of(&Method::GET, "/api/v1/binaries/{sha256}/file"),
            Class::Download
        );
        assert_eq!(Class::of(&Method::POST, "/api/v1/keys"), Class::Query);
    }
}
