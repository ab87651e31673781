//! Forward cursor pagination (`first` / `after`), Relay-style.
//!
//! Cursors are opaque to clients: base64url of `v1:<sort key>`. Lists are
//! ordered by a unique, time-ordered key (UUIDv7 ids), so keyset pagination is
//! stable under concurrent inserts.

use async_graphql::SimpleObject;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ApiError;

/// Page size when `first` is omitted.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;

/// Shared by every subgraph (hence `@shareable`).
#[derive(Debug, Clone, SimpleObject)]
#[graphql(shareable)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// How many rows the page shows.
    pub limit: u64,
    /// Exclusive lower bound on the sort key.
    pub after: Option<String>,
}

impl PageRequest {
    /// Validates `first` and `after` from a client.
    pub fn new(first: Option<i32>, after: Option<&str>) -> Result<Self, ApiError> {
        let limit = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n < 0 => return Err(ApiError::bad_input("`first` must not be negative")),
            Some(n) if n as u64 > MAX_PAGE_SIZE => {
                return Err(ApiError::bad_input(format!(
                    "`first` must be at most {MAX_PAGE_SIZE}"
                )));
            }
            Some(n) => n as u64,
        };
        let after = after.map(decode_cursor).transpose()?;
        Ok(Self { limit, after })
    }

    /// Rows to fetch: one more than shown tells whether there is a next page.
    pub fn fetch_limit(&self) -> u64 {
        self.limit + 1
    }
}

/// A page of items plus whether more follow.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
}

impl<T> Page<T> {
    /// Cuts rows fetched with [`PageRequest::fetch_limit`] down to the page.
    pub fn from_rows(mut rows: Vec<T>, request: &PageRequest) -> Self {
        let has_next_page = rows.len() as u64 > request.limit;
        rows.truncate(request.limit as usize);
        Self {
            items: rows,
            has_next_page,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            has_next_page: self.has_next_page,
        }
    }

    /// The `PageInfo` given each item's sort key.
    pub fn page_info(&self, key: impl Fn(&T) -> String) -> PageInfo {
        PageInfo {
            has_next_page: self.has_next_page,
            end_cursor: self.items.last().map(|t| encode_cursor(&key(t))),
        }
    }
}

pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1:{key}"))
}

pub fn decode_cursor(cursor: &str) -> Result<String, ApiError> {
    let invalid = || ApiError::bad_input("`after` is not a valid cursor");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let key = text.strip_prefix("v1:").ok_or_else(invalid)?;
    if key.is_empty() || key.len() > 128 {
        return Err(invalid());
    }
    Ok(key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn cursor_round_trip() {
        let c = encode_cursor("0190-abc");
        assert_eq!(decode_cursor(&c).unwrap(), "0190-abc");
    }

    #[test]
    fn rejects_bad_pages() {
        for (first, after) in [
            (Some(-1), None),
            (Some(101), None),
            (None, Some("%%%")),
            (None, Some("aGVsbG8")), // "hello": no version prefix
        ] {
            assert_eq!(
                PageRequest::new(first, after).unwrap_err().code,
                ErrorCode::BadUserInput,
                "{first:?} {after:?}"
            );
        }
        assert_eq!(
            PageRequest::new(None, None).unwrap().limit,
            DEFAULT_PAGE_SIZE
        );
        assert_eq!(PageRequest::new(Some(0), None).unwrap().limit, 0);
    }

    #[test]
    fn page_from_rows() {
        let req = PageRequest::new(Some(2), None).unwrap();
        let page = Page::from_rows(vec![1, 2, 3], &req);
        assert_eq!(page.items, vec![1, 2]);
        assert!(page.has_next_page);
        let info = page.page_info(|n| n.to_string());
        assert_eq!(decode_cursor(&info.end_cursor.unwrap()).unwrap(), "2");
    }
}
