//! JWT verification (every subgraph) and issuing (the users subgraph).
//!
//! Every subgraph verifies the bearer token itself, so a direct call to a
//! subgraph cannot bypass authorization. Keys:
//! - HS256 with a shared secret (the development default), or
//! - RS256/ES256 public keys from a JWKS document (file or the users subgraph's
//!   own signing key), selected by the token's `kid`.
//!
//! Tokens whose header names an algorithm we were not configured for (including
//! `alg: none`) are rejected before any signature check.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};

/// The development secret. Never use it outside a developer machine.
pub const DEV_HS256_SECRET: &str = "tessera-dev-secret-change-me";

/// Authentication settings shared by all subgraphs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Expected `iss` claim.
    pub issuer: String,
    /// Expected `aud` claim.
    pub audience: String,
    /// Shared HS256 secret. Used to sign when no RSA key is configured, and
    /// accepted for verification whenever set.
    pub hs256_secret: Option<String>,
    /// PEM file with an RSA private key; when set, the users subgraph signs
    /// RS256 tokens with it and serves its public half as JWKS.
    pub rs256_private_key_file: Option<PathBuf>,
    /// JWKS document (JSON file) with the public keys accepted for RS/ES tokens.
    pub jwks_file: Option<PathBuf>,
    /// Lifetime of issued tokens, in seconds.
    pub token_ttl_secs: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            issuer: "tessera".into(),
            audience: "tessera".into(),
            hs256_secret: Some(DEV_HS256_SECRET.into()),
            rs256_private_key_file: None,
            jwks_file: None,
            token_ttl_secs: 3600,
        }
    }
}

/// Errors loading key material at start-up.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid key material in {path}: {detail}")]
    Invalid { path: PathBuf, detail: String },
    #[error("no signing key: set `hs256_secret` or `rs256_private_key_file`")]
    NoSigningKey,
}

/// The claims Tessera puts in (and requires of) its tokens.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    /// Space-separated OAuth-style scopes, e.g. `inventory:write`.
    #[serde(default)]
    pub scope: String,
}

impl Claims {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split_whitespace().any(|s| s == scope)
    }
}

/// Who is calling: the verified claims, if a token was sent.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    pub claims: Option<Claims>,
    /// The raw `Authorization` header, forwarded on service-to-service calls.
    pub authorization: Option<String>,
}

impl Viewer {
    /// The signed-in user's id, or `UNAUTHENTICATED`.
    pub fn require_user(&self) -> Result<&Claims, ApiError> {
        self.claims.as_ref().ok_or_else(ApiError::unauthenticated)
    }

    /// The signed-in user, who must hold `scope`.
    pub fn require_scope(&self, scope: &str) -> Result<&Claims, ApiError> {
        let claims = self.require_user()?;
        if claims.has_scope(scope) {
            Ok(claims)
        } else {
            Err(ApiError::forbidden(format!(
                "this operation requires the `{scope}` scope"
            )))
        }
    }
}

/// Verifies bearer tokens.
#[derive(Clone)]
pub struct JwtVerifier {
    inner: Arc<VerifierInner>,
}

struct VerifierInner {
    issuer: String,
    audience: String,
    hs256: Option<DecodingKey>,
    /// Public keys by `kid`, with their algorithm.
    keys: HashMap<String, (Algorithm, DecodingKey)>,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("issuer", &self.inner.issuer)
            .field("hs256", &self.inner.hs256.is_some())
            .field("kids", &self.inner.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl JwtVerifier {
    /// Builds a verifier from config: the HS256 secret, the JWKS file and, when
    /// set, the public half of the RSA signing key.
    pub fn from_config(config: &AuthConfig) -> Result<Self, KeyError> {
        let mut jwks = JwkSet { keys: Vec::new() };
        if let Some(path) = &config.jwks_file {
            let text = read(path)?;
            let set: JwkSet = serde_json::from_str(&text).map_err(|e| KeyError::Invalid {
                path: path.clone(),
                detail: e.to_string(),
            })?;
            jwks.keys.extend(set.keys);
        }
        if config.rs256_private_key_file.is_some() {
            jwks.keys
                .extend(JwtIssuer::from_config(config)?.jwks().keys);
        }
        Self::new(config, &jwks)
    }

    /// Builds a verifier from config plus an explicit key set.
    pub fn new(config: &AuthConfig, jwks: &JwkSet) -> Result<Self, KeyError> {
        let mut keys = HashMap::new();
        for jwk in &jwks.keys {
            let Some(alg) = jwk_algorithm(jwk) else {
                continue;
            };
            let key = DecodingKey::from_jwk(jwk).map_err(|e| KeyError::Invalid {
                path: PathBuf::from("<jwks>"),
                detail: e.to_string(),
            })?;
            let kid = jwk.common.key_id.clone().unwrap_or_default();
            keys.insert(kid, (alg, key));
        }
        Ok(Self {
            inner: Arc::new(VerifierInner {
                issuer: config.issuer.clone(),
                audience: config.audience.clone(),
                hs256: config
                    .hs256_secret
                    .as_deref()
                    .map(|s| DecodingKey::from_secret(s.as_bytes())),
                keys,
            }),
        })
    }

    /// Verifies a raw `Authorization` header value (`Bearer <token>`).
    pub fn verify_header(&self, header: &str) -> Result<Claims, ApiError> {
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::InvalidToken,
                    "the Authorization header must be `Bearer <token>`",
                )
            })?;
        self.verify(token)
    }

    /// Verifies a compact JWS token and returns its claims.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let invalid =
            |why: &str| ApiError::new(ErrorCode::InvalidToken, format!("invalid token: {why}"));
        // `decode_header` rejects `alg: none` (not an algorithm jsonwebtoken knows).
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| invalid("malformed or unsupported header"))?;
        let (alg, key) = match header.alg {
            Algorithm::HS256 => (
                Algorithm::HS256,
                self.inner
                    .hs256
                    .as_ref()
                    .ok_or_else(|| invalid("HS256 tokens are not accepted"))?,
            ),
            alg => {
                let kid = header.kid.clone().unwrap_or_default();
                let (key_alg, key) = self
                    .inner
                    .keys
                    .get(&kid)
                    .or_else(|| {
                        // A token without `kid` may use the single configured key.
                        (kid.is_empty() && self.inner.keys.len() == 1)
                            .then(|| self.inner.keys.values().next())
                            .flatten()
                    })
                    .ok_or_else(|| invalid("unknown signing key"))?;
                if *key_alg != alg {
                    return Err(invalid("algorithm does not match the key"));
                }
                (alg, key)
            }
        };
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[&self.inner.issuer]);
        validation.set_audience(&[&self.inner.audience]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.leeway = 30;
        match jsonwebtoken::decode::<Claims>(token, key, &validation) {
            Ok(data) => Ok(data.claims),
            Err(e) => match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => Err(ApiError::new(
                    ErrorCode::TokenExpired,
                    "the token has expired; log in again",
                )),
                jsonwebtoken::errors::ErrorKind::InvalidSignature => Err(invalid("bad signature")),
                jsonwebtoken::errors::ErrorKind::InvalidIssuer => Err(invalid("wrong issuer")),
                jsonwebtoken::errors::ErrorKind::InvalidAudience => Err(invalid("wrong audience")),
                _ => Err(invalid("could not be verified")),
            },
        }
    }
}

fn jwk_algorithm(jwk: &Jwk) -> Option<Algorithm> {
    use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, KeyAlgorithm};
    match jwk.common.key_algorithm {
        Some(KeyAlgorithm::RS256) => Some(Algorithm::RS256),
        Some(KeyAlgorithm::RS384) => Some(Algorithm::RS384),
        Some(KeyAlgorithm::RS512) => Some(Algorithm::RS512),
        Some(KeyAlgorithm::ES256) => Some(Algorithm::ES256),
        Some(KeyAlgorithm::ES384) => Some(Algorithm::ES384),
        Some(_) => None,
        None => match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => Some(Algorithm::RS256),
            AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
                EllipticCurve::P256 => Some(Algorithm::ES256),
                EllipticCurve::P384 => Some(Algorithm::ES384),
                _ => None,
            },
            _ => None,
        },
    }
}

fn read(path: &PathBuf) -> Result<String, KeyError> {
    std::fs::read_to_string(path).map_err(|source| KeyError::Read {
        path: path.clone(),
        source,
    })
}

/// Signs tokens (used by the users subgraph).
#[derive(Clone)]
pub struct JwtIssuer {
    inner: Arc<IssuerInner>,
}

struct IssuerInner {
    issuer: String,
    audience: String,
    ttl_secs: i64,
    alg: Algorithm,
    kid: Option<String>,
    key: EncodingKey,
    public: Option<Jwk>,
}

impl JwtIssuer {
    /// RS256 when an RSA private key is configured, HS256 with the secret otherwise.
    pub fn from_config(config: &AuthConfig) -> Result<Self, KeyError> {
        let ttl_secs = i64::try_from(config.token_ttl_secs).unwrap_or(i64::MAX);
        if let Some(path) = &config.rs256_private_key_file {
            let pem = read(path)?;
            let invalid = |detail: String| KeyError::Invalid {
                path: path.clone(),
                detail,
            };
            let key =
                EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| invalid(e.to_string()))?;
            let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256)
                .map_err(|e| invalid(e.to_string()))?;
            let kid = jwk
                .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
                .map_err(|e| invalid(e.to_string()))?;
            jwk.common.key_id = Some(kid.clone());
            return Ok(Self {
                inner: Arc::new(IssuerInner {
                    issuer: config.issuer.clone(),
                    audience: config.audience.clone(),
                    ttl_secs,
                    alg: Algorithm::RS256,
                    kid: Some(kid),
                    key,
                    public: Some(jwk),
                }),
            });
        }
        let secret = config
            .hs256_secret
            .as_deref()
            .ok_or(KeyError::NoSigningKey)?;
        Ok(Self {
            inner: Arc::new(IssuerInner {
                issuer: config.issuer.clone(),
                audience: config.audience.clone(),
                ttl_secs,
                alg: Algorithm::HS256,
                kid: None,
                key: EncodingKey::from_secret(secret.as_bytes()),
                public: None,
            }),
        })
    }

    /// Issues a token for `user_id` with the given scopes.
    pub fn issue(&self, user_id: &str, scopes: &[String]) -> Result<(String, Claims), ApiError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_owned(),
            iss: self.inner.issuer.clone(),
            aud: self.inner.audience.clone(),
            iat: now,
            exp: now.saturating_add(self.inner.ttl_secs),
            scope: scopes.join(" "),
        };
        let token = self.sign(&claims)?;
        Ok((token, claims))
    }

    /// Signs arbitrary claims (tests use this for expired tokens).
    pub fn sign(&self, claims: &Claims) -> Result<String, ApiError> {
        let mut header = Header::new(self.inner.alg);
        header.kid = self.inner.kid.clone();
        jsonwebtoken::encode(&header, claims, &self.inner.key).map_err(ApiError::internal)
    }

    /// The public keys to publish at `/.well-known/jwks.json` (empty for HS256).
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: self.inner.public.iter().cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> AuthConfig {
        AuthConfig::default()
    }

    #[test]
    fn hs256_round_trip_and_scopes() {
        let issuer = JwtIssuer::from_config(&config()).unwrap();
        let verifier = JwtVerifier::from_config(&config()).unwrap();
        let (token, _) = issuer.issue("u1", &["inventory:write".into()]).unwrap();
        let claims = verifier.verify_header(&format!("Bearer {token}")).unwrap();
        assert_eq!(claims.sub, "u1");
        assert!(claims.has_scope("inventory:write"));
        assert!(!claims.has_scope("inventory"));
    }

    #[test]
    fn rejects_alg_none_forged_and_expired() {
        let issuer = JwtIssuer::from_config(&config()).unwrap();
        let verifier = JwtVerifier::from_config(&config()).unwrap();
        // alg: none
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ1MSIsImlzcyI6InRlc3NlcmEiLCJhdWQiOiJ0ZXNzZXJhIiwiaWF0IjoxLCJleHAiOjk5OTk5OTk5OTl9.";
        assert_eq!(
            verifier.verify(none).unwrap_err().code,
            ErrorCode::InvalidToken
        );
        // signed with another secret
        let other = JwtIssuer::from_config(&AuthConfig {
            hs256_secret: Some("another".into()),
            ..config()
        })
        .unwrap();
        let (forged, _) = other.issue("u1", &[]).unwrap();
        assert_eq!(
            verifier.verify(&forged).unwrap_err().code,
            ErrorCode::InvalidToken
        );
        // expired
        let now = chrono::Utc::now().timestamp();
        let expired = issuer
            .sign(&Claims {
                sub: "u1".into(),
                iss: "tessera".into(),
                aud: "tessera".into(),
                iat: now - 7200,
                exp: now - 3600,
                scope: String::new(),
            })
            .unwrap();
        assert_eq!(
            verifier.verify(&expired).unwrap_err().code,
            ErrorCode::TokenExpired
        );
        // garbage and wrong scheme
        assert_eq!(
            verifier.verify("a.b.c").unwrap_err().code,
            ErrorCode::InvalidToken
        );
        assert_eq!(
            verifier
                .verify_header("Basic dXNlcjpwYXNz")
                .unwrap_err()
                .code,
            ErrorCode::InvalidToken
        );
    }
}
