//! HTTP handlers, one file per resource, and the small helpers they share.

pub mod analysis;
pub mod auth;
pub mod binaries;
pub mod cypher;
pub mod extract;
pub mod functions;
pub mod graph;
pub mod search;
pub mod system;

use serde::Deserialize;

use crate::error::{ApiError, Pagination};

/// Largest page a list route returns.
pub const MAX_LIMIT: u64 = 1000;
/// Page size when none is asked for.
pub const DEFAULT_LIMIT: u64 = 50;

/// `?page=&limit=` of every list route (page is 1-based).
#[derive(Debug, Clone, Copy, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Page number, from 1.
    pub page: Option<u64>,
    /// Items per page, 1 to 1000 (default 50).
    pub limit: Option<u64>,
}

impl Paging {
    /// `(page, limit, skip)`, checked.
    pub fn resolve(&self) -> Result<(u64, u64, u64), ApiError> {
        let page = self.page.unwrap_or(1);
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if page == 0 {
            return Err(ApiError::bad_request(
                "invalid_parameter",
                "page starts at 1.",
            ));
        }
        if limit == 0 || limit > MAX_LIMIT {
            return Err(ApiError::bad_request(
                "invalid_parameter",
                format!("limit must be between 1 and {MAX_LIMIT}."),
            ));
        }
        let skip = (page - 1)
            .checked_mul(limit)
            .ok_or_else(|| ApiError::bad_request("invalid_parameter", "page is too large."))?;
        Ok((page, limit, skip))
    }

    pub fn pagination(&self, total: u64) -> Pagination {
        let (page, limit) = (self.page.unwrap_or(1), self.limit.unwrap_or(DEFAULT_LIMIT));
        Pagination::new(page, limit, total)
    }
}

/// `0x`-prefixed hex, the way addresses are shown to people.
pub fn hex(addr: u64) -> String {
    format!("{addr:#x}")
}

/// Parse an address from a path segment: `0x401000` or decimal.
pub fn parse_addr(s: &str) -> Result<u64, ApiError> {
    crate::callgraph::parse_addr(s).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_address",
            format!("'{s}' is not an address: give hex with 0x (0x401000) or decimal."),
        )
    })
}
