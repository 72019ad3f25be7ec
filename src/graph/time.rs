//! Timestamps as the graph and the account store keep them: RFC 3339 text,
//! UTC, so that they sort as strings.

/// Now, to the second (users, keys, jobs, uploads).
pub fn now_rfc3339() -> String {
    rfc3339(time::OffsetDateTime::now_utc())
}

pub fn rfc3339(t: time::OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

pub fn parse_rfc3339(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// Now, to the nanosecond: ingest stamps (a re-ingest within the same second
/// must still change the binary's stamp, which the search index compares)
/// and the `meta.timestamp` of API answers.
pub fn now_precise() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
