//! GraphQL over HTTP rules shared by the router and the subgraphs: which
//! media type answers a request (`Accept` negotiation, RFC 9110 §12.5.1) and
//! which status a request error gets in it. Pure functions, no IO — except
//! the `server` feature's accept loop ([`server::serve_connections`]), which
//! both serve with so that idle and half-open connections are closed.
//!
//! Spec: GraphQL over HTTP (draft), <https://graphql.github.io/graphql-over-http/draft/>.

use http::{HeaderMap, header};

#[cfg(feature = "server")]
pub mod server;

/// How the response body is encoded, negotiated from `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMode {
    /// `application/json`: request errors still get 200 (legacy watershed behaviour).
    Json,
    /// `application/graphql-response+json`: request errors get 4xx
    /// (GraphQL over HTTP, §"application/graphql-response+json").
    GraphQLResponseJson,
}

impl ResponseMode {
    /// The media type, without parameters.
    pub fn media_type(self) -> &'static str {
        match self {
            ResponseMode::Json => "application/json",
            ResponseMode::GraphQLResponseJson => "application/graphql-response+json",
        }
    }

    /// The `Content-Type` header value: the media type with its encoding, which
    /// GraphQL over HTTP §"Body" says a server SHOULD indicate.
    pub fn content_type(self) -> &'static str {
        match self {
            ResponseMode::Json => "application/json; charset=utf-8",
            ResponseMode::GraphQLResponseJson => "application/graphql-response+json; charset=utf-8",
        }
    }
}

impl ResponseMode {
    /// The status of a request error (the request never executed: it did not
    /// parse, validate or coerce): 400 for `application/graphql-response+json`
    /// (§"application/graphql-response+json"), 200 for `application/json`
    /// (§"application/json": the legacy watershed behaviour clients rely on).
    pub fn request_error_status(self) -> http::StatusCode {
        match self {
            ResponseMode::Json => http::StatusCode::OK,
            ResponseMode::GraphQLResponseJson => http::StatusCode::BAD_REQUEST,
        }
    }
}

/// Picks the response media type from `Accept` (GraphQL over HTTP §"Body",
/// RFC 9110 §12.5.1): the supported type with the highest quality wins; a type's
/// quality comes from the most specific range matching it (`application/json` over
/// `application/*` over `*/*`), `q=0` means "not acceptable". Ties go to the type
/// named more specifically, then to the range listed first, then to
/// `application/json`. No `Accept` (or an empty one) means `application/json`
/// (§"Legacy watershed"; the `graphql-http` audit expects it too).
///
/// `None`: `Accept` allows neither type, which deserves a 406.
pub fn negotiate(headers: &HeaderMap) -> Option<ResponseMode> {
    use std::cmp::Reverse;
    // `max_by_key` below keeps the last of equals: `application/json` goes last.
    const MODES: [ResponseMode; 2] = [ResponseMode::GraphQLResponseJson, ResponseMode::Json];
    // Per mode, the range deciding it: (specificity, Reverse(position), quality).
    let mut deciding: [Option<(u8, Reverse<usize>, u16)>; 2] = [None, None];
    let mut present = false;
    let mut position = 0;
    for value in headers.get_all(header::ACCEPT) {
        let Ok(value) = value.to_str() else {
            present = true;
            continue;
        };
        for range in value.split(',') {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or("").trim();
            if media.is_empty() {
                continue;
            }
            present = true;
            position += 1;
            // A range without `type/subtype` or with an invalid quality is ignored.
            let (Some((kind, subtype)), Some(quality)) = (media.split_once('/'), quality(parts))
            else {
                continue;
            };
            let (kind, subtype) = (kind.trim(), subtype.trim());
            for (slot, mode) in deciding.iter_mut().zip(MODES) {
                let (k, s) = mode.media_type().split_once('/').unwrap_or_default();
                let specificity = if !kind.eq_ignore_ascii_case(k) {
                    match (kind, subtype) {
                        ("*", "*") => 0,
                        _ => continue,
                    }
                } else if subtype.eq_ignore_ascii_case(s) {
                    2
                } else if subtype == "*" {
                    1
                } else {
                    continue;
                };
                let candidate = (specificity, Reverse(position), quality);
                if slot.is_none_or(|(sp, pos, _)| (candidate.0, candidate.1) > (sp, pos)) {
                    *slot = Some(candidate);
                }
            }
        }
    }
    if !present {
        return Some(ResponseMode::Json);
    }
    deciding
        .into_iter()
        .zip(MODES)
        .filter_map(|(range, mode)| {
            let (specificity, position, quality) = range?;
            (quality > 0).then_some(((quality, specificity, position), mode))
        })
        .max_by_key(|&(rank, _)| rank)
        .map(|(_, mode)| mode)
}

/// The quality of a media range from its parameters: `q`, else 1 (in thousandths).
fn quality<'a>(mut parameters: impl Iterator<Item = &'a str>) -> Option<u16> {
    match parameters.find_map(|p| {
        let (name, value) = p.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("q")
            .then_some(value.trim())
    }) {
        Some(value) => parse_quality(value),
        None => Some(1000),
    }
}

/// An RFC 9110 §12.4.2 `qvalue` in thousandths: `0`–`1` with up to three decimals.
fn parse_quality(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = fraction
        .bytes()
        .zip([100, 10, 1])
        .map(|(digit, scale)| u16::from(digit - b'0') * scale)
        .sum::<u16>();
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn accept(value: &'static str) -> Option<ResponseMode> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(value));
        negotiate(&headers)
    }

    #[test]
    fn negotiates_the_response_media_type() {
        use ResponseMode::{GraphQLResponseJson as New, Json};
        assert_eq!(negotiate(&HeaderMap::new()), Some(Json));
        let cases = [
            ("", Some(Json)),
            (" , ", Some(Json)),
            ("*/*", Some(Json)),
            ("application/*", Some(Json)),
            (
                "application/graphql-response+json, application/json;q=0.9",
                Some(New),
            ),
            ("application/json", Some(Json)),
            (
                "application/json, application/graphql-response+json",
                Some(Json),
            ),
            (
                "application/json;q=0.9, application/graphql-response+json",
                Some(New),
            ),
            (
                "application/graphql-response+json;q=0.1, application/json;q=0.2",
                Some(Json),
            ),
            ("application/graphql-response+json;q=0, */*", Some(Json)),
            ("*/*;q=0.5, application/graphql-response+json", Some(New)),
            ("*/*, application/graphql-response+json", Some(New)),
            ("application/*;q=0.2, application/json;q=0", Some(New)),
            ("application/json;Q=1.000", Some(Json)),
            (
                "application/json;q=1.5, application/graphql-response+json;q=0.001",
                Some(New),
            ),
            ("text/html", None),
            ("application/json;q=0", None),
            ("application/json;q=0.", None),
            ("application/json;q=-1", None),
            ("application/json;q=NaN", None),
            ("*/json", None),
            ("json", None),
        ];
        for (value, expected) in cases {
            assert_eq!(accept(value), expected, "{value:?}");
        }
    }

    #[test]
    fn parses_qvalues() {
        assert_eq!(parse_quality("1"), Some(1000));
        assert_eq!(parse_quality("1.000"), Some(1000));
        assert_eq!(parse_quality("0.5"), Some(500));
        assert_eq!(parse_quality("0.05"), Some(50));
        assert_eq!(parse_quality("0"), Some(0));
        assert_eq!(parse_quality("0."), Some(0));
        for bad in ["1.001", "2", "0.1234", "-0", "", ".5", "0.x", "+1", "inf"] {
            assert_eq!(parse_quality(bad), None, "{bad:?}");
        }
    }
}
