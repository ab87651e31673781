//! Security at the router: who the caller is ([`jwt`]) and what they may
//! select ([`directives`]).

pub mod directives;
pub mod jwt;

use serde::{Deserialize, Serialize};

/// A verified token's claims.
pub type Claims = serde_json::Map<String, serde_json::Value>;

/// `authentication`: how callers prove who they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthenticationConfig {
    /// Bearer tokens (JWT). Unset: the router verifies no token and the
    /// auth directives see every caller as anonymous.
    pub jwt: Option<jwt::JwtConfig>,
}

/// `claims` as JSON that fits in an HTTP header: characters outside ASCII are
/// written as `\u` escapes.
pub fn claims_header_value(claims: &Claims) -> Option<http::HeaderValue> {
    let json = serde_json::to_string(claims).ok()?;
    let mut ascii = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            ascii.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                ascii.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    http::HeaderValue::from_str(&ascii).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_header_is_ascii_json() {
        let mut claims = Claims::new();
        claims.insert("name".into(), serde_json::Value::from("Zoë 🦀"));
        let value = claims_header_value(&claims).expect("header");
        let text = value.to_str().expect("ascii");
        let back: Claims = serde_json::from_str(text).expect("json");
        assert_eq!(back, claims);
    }
}
