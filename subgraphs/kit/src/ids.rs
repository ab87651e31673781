//! Record ids: UUIDv7 text, so ids sort by creation time and keyset pagination
//! by id is chronological.

/// A fresh, time-ordered id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Parses a client-supplied id; `None` when it cannot be one of ours (such an
/// id can never match a row, so callers answer "not found" without a query).
pub fn parse_id(raw: &str) -> Option<String> {
    if raw.len() > 36 {
        return None;
    }
    uuid::Uuid::try_parse(raw).ok().map(|u| u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_creation() {
        let a = new_id();
        let b = new_id();
        assert!(a < b);
        assert_eq!(parse_id(&a.to_uppercase()), Some(a));
        assert_eq!(parse_id("not-an-id"), None);
        assert_eq!(parse_id(&"a".repeat(1000)), None);
    }
}
