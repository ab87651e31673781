//! JWT verification (every subgraph) and issuing (the users subgraph).
//!
//! Every subgraph verifies the bearer token itself, so a direct call to a
//! subgraph cannot bypass authorization. Keys:
//! - HS256 with a shared secret, only when one is configured explicitly, or
//! - RS256/ES256 public keys from a JWKS document (file or the users subgraph's
//!   own signing key), selected by the token's `kid`.
//!
//! The secrets that ship in this source ([`DEV_HS256_SECRET`],
//! [`DEV_SERVICE_SECRET`]) are accepted only by a configuration built with
//! [`AuthConfig::development`] (`tessera dev` and tests); every other start
//! refuses them, and refuses to start without a key at all.
//!
//! Calls between services (orders → inventory's stock reservations) carry a
//! second credential, a short-lived HS256 token signed with the service secret
//! in the [`SERVICE_TOKEN_HEADER`] header, audience [`SERVICE_AUDIENCE`]: user
//! tokens never have it, so a user cannot call an internal operation.
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

/// The development user-token secret. It is public (it ships in the source):
/// only [`AuthConfig::development`] configurations accept it.
pub const DEV_HS256_SECRET: &str = "tessera-dev-secret-change-me";

/// The development service-credential secret; public like [`DEV_HS256_SECRET`].
pub const DEV_SERVICE_SECRET: &str = "tessera-dev-service-secret-change-me";

/// Shortest HS256 secret accepted (RFC 7518 §3.2: a key at least as long as
/// the hash output, 256 bits).
pub const MIN_SECRET_BYTES: usize = 32;

/// Request header carrying a service credential.
pub const SERVICE_TOKEN_HEADER: &str = "tessera-service-token";

/// The `aud` of service credentials; user tokens never carry it.
pub const SERVICE_AUDIENCE: &str = "tessera-services";

/// Lifetime of a service credential, in seconds.
const SERVICE_TOKEN_TTL_SECS: i64 = 60;

/// Authentication settings shared by all subgraphs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Expected `iss` claim.
    pub issuer: String,
    /// Expected `aud` claim.
    pub audience: String,
    /// Shared HS256 secret (at least 32 bytes). Used to sign when no RSA key is
    /// configured, and accepted for verification whenever set. Unset by
    /// default: configuring only RS256/JWKS keys leaves HS256 off.
    pub hs256_secret: Option<String>,
    /// PEM file with an RSA private key; when set, the users subgraph signs
    /// RS256 tokens with it and serves its public half as JWKS.
    pub rs256_private_key_file: Option<PathBuf>,
    /// JWKS document (JSON file) with the public keys accepted for RS/ES tokens.
    pub jwks_file: Option<PathBuf>,
    /// Lifetime of issued tokens, in seconds.
    pub token_ttl_secs: u64,
    /// HS256 secret (at least 32 bytes, different from `hs256_secret`) for
    /// service credentials: orders signs them, inventory requires them on its
    /// internal stock mutations.
    pub service_secret: Option<String>,
    /// Whether the secrets that ship in the source are accepted. Only
    /// [`AuthConfig::development`] sets it; no file or variable can.
    #[serde(skip)]
    pub development: bool,
}

impl Default for AuthConfig {
    /// No keys at all: a production start must configure them.
    fn default() -> Self {
        Self {
            issuer: "tessera".into(),
            audience: "tessera".into(),
            hs256_secret: None,
            rs256_private_key_file: None,
            jwks_file: None,
            token_ttl_secs: 3600,
            service_secret: None,
            development: false,
        }
    }
}

impl AuthConfig {
    /// The development configuration (`tessera dev`, tests): the public
    /// development secrets, accepted only here.
    pub fn development() -> Self {
        Self {
            hs256_secret: Some(DEV_HS256_SECRET.into()),
            service_secret: Some(DEV_SERVICE_SECRET.into()),
            development: true,
            ..Self::default()
        }
    }

    /// Refuses the public development secrets outside development, secrets
    /// too short to be keys, and one secret used for both purposes.
    pub fn check(&self) -> Result<(), KeyError> {
        let secrets = [
            ("hs256_secret", &self.hs256_secret),
            ("service_secret", &self.service_secret),
        ];
        for (name, secret) in secrets {
            let Some(secret) = secret.as_deref().filter(|_| !self.development) else {
                continue;
            };
            if [DEV_HS256_SECRET, DEV_SERVICE_SECRET].contains(&secret) {
                return Err(KeyError::DevelopmentSecret { name });
            }
            if secret.len() < MIN_SECRET_BYTES {
                return Err(KeyError::WeakSecret { name });
            }
        }
        if self.hs256_secret.is_some() && self.hs256_secret == self.service_secret {
            return Err(KeyError::SharedServiceSecret);
        }
        Ok(())
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
    #[error(
        "no signing key: set TESSERA_JWT_SECRET (`hs256_secret`) or \
         TESSERA_RS256_PRIVATE_KEY_FILE (`rs256_private_key_file`)"
    )]
    NoSigningKey,
    #[error(
        "no verification key: set TESSERA_JWKS_FILE (`jwks_file`), \
         TESSERA_RS256_PRIVATE_KEY_FILE or TESSERA_JWT_SECRET (`hs256_secret`)"
    )]
    NoVerificationKey,
    #[error("no service secret: set TESSERA_SERVICE_SECRET (`service_secret`)")]
    NoServiceSecret,
    #[error(
        "`{name}` is the development secret that ships in Tessera's source; \
         only `tessera dev` accepts it: configure a secret of your own"
    )]
    DevelopmentSecret { name: &'static str },
    #[error("`{name}` is shorter than {MIN_SECRET_BYTES} bytes")]
    WeakSecret { name: &'static str },
    #[error("`service_secret` must differ from `hs256_secret`")]
    SharedServiceSecret,
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
    /// The calling service, when the request carries a valid service credential.
    pub service: Option<String>,
}

impl Viewer {
    /// The signed-in user's id, or `UNAUTHENTICATED`.
    pub fn require_user(&self) -> Result<&Claims, ApiError> {
        self.claims.as_ref().ok_or_else(ApiError::unauthenticated)
    }

    /// The calling service's name, or `FORBIDDEN`: internal operations are for
    /// services, never for users (whatever their scopes).
    pub fn require_service(&self) -> Result<&str, ApiError> {
        self.service
            .as_deref()
            .ok_or_else(|| ApiError::forbidden("this operation is internal to Tessera's services"))
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
    /// Verifies service credentials.
    service: Option<DecodingKey>,
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
        config.check()?;
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
        let verifier = Self::new(config, &jwks)?;
        if verifier.inner.hs256.is_none() && verifier.inner.keys.is_empty() {
            return Err(KeyError::NoVerificationKey);
        }
        Ok(verifier)
    }

    /// Builds a verifier from config plus an explicit key set.
    pub fn new(config: &AuthConfig, jwks: &JwkSet) -> Result<Self, KeyError> {
        config.check()?;
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
                service: config
                    .service_secret
                    .as_deref()
                    .map(|s| DecodingKey::from_secret(s.as_bytes())),
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

impl JwtVerifier {
    /// Verifies a service credential (the [`SERVICE_TOKEN_HEADER`] value) and
    /// returns the calling service's name. Without a configured service secret
    /// every credential is refused.
    pub fn verify_service(&self, token: &str) -> Result<String, ApiError> {
        let invalid = || ApiError::new(ErrorCode::InvalidToken, "invalid service credential");
        let key = self.inner.service.as_ref().ok_or_else(invalid)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[SERVICE_AUDIENCE]);
        validation.set_issuer(&[SERVICE_AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.leeway = 5;
        jsonwebtoken::decode::<ServiceClaims>(token, key, &validation)
            .map(|data| data.claims.sub)
            .map_err(|_| invalid())
    }
}

/// The claims of a service credential.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ServiceClaims {
    /// The calling service's name.
    sub: String,
    iss: String,
    aud: String,
    iat: i64,
    exp: i64,
}

/// Mints service credentials for one service's calls to another.
#[derive(Clone)]
pub struct ServiceSigner {
    name: String,
    key: Arc<EncodingKey>,
}

impl std::fmt::Debug for ServiceSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceSigner")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ServiceSigner {
    /// Signs as service `name` with the configured service secret.
    pub fn from_config(name: &str, config: &AuthConfig) -> Result<Self, KeyError> {
        config.check()?;
        let secret = config
            .service_secret
            .as_deref()
            .ok_or(KeyError::NoServiceSecret)?;
        Ok(Self {
            name: name.to_owned(),
            key: Arc::new(EncodingKey::from_secret(secret.as_bytes())),
        })
    }

    /// A fresh credential, valid for a minute.
    pub fn token(&self) -> Result<String, ApiError> {
        let now = chrono::Utc::now().timestamp();
        let claims = ServiceClaims {
            sub: self.name.clone(),
            iss: SERVICE_AUDIENCE.to_owned(),
            aud: SERVICE_AUDIENCE.to_owned(),
            iat: now,
            exp: now.saturating_add(SERVICE_TOKEN_TTL_SECS),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.key)
            .map_err(ApiError::internal)
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
        config.check()?;
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
        AuthConfig::development()
    }

    const PROD_SECRET: &str = "a-production-secret-of-32-bytes-or-more";

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
            hs256_secret: Some("another-secret-another-secret-another".into()),
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

    /// Regression: the development secret that ships in the source was
    /// accepted by every start, so anyone could mint an admin token.
    #[test]
    fn the_development_secret_is_refused_outside_development() {
        let dev_token = JwtIssuer::from_config(&config())
            .unwrap()
            .issue("admin", &["inventory:write".into()])
            .unwrap()
            .0;
        // The production default has no key at all: no start without one.
        assert!(matches!(
            JwtVerifier::from_config(&AuthConfig::default()),
            Err(KeyError::NoVerificationKey)
        ));
        assert!(matches!(
            JwtIssuer::from_config(&AuthConfig::default()),
            Err(KeyError::NoSigningKey)
        ));
        // Configuring the public secret explicitly is refused.
        let explicit_dev = AuthConfig {
            hs256_secret: Some(DEV_HS256_SECRET.into()),
            ..AuthConfig::default()
        };
        assert!(matches!(
            JwtVerifier::from_config(&explicit_dev),
            Err(KeyError::DevelopmentSecret { .. })
        ));
        assert!(matches!(
            JwtIssuer::from_config(&explicit_dev),
            Err(KeyError::DevelopmentSecret { .. })
        ));
        let dev_service = AuthConfig {
            hs256_secret: Some(PROD_SECRET.into()),
            service_secret: Some(DEV_SERVICE_SECRET.into()),
            ..AuthConfig::default()
        };
        assert!(matches!(
            ServiceSigner::from_config("orders", &dev_service),
            Err(KeyError::DevelopmentSecret { .. })
        ));
        // A weak secret, or one secret for both purposes, is refused too.
        let weak = AuthConfig {
            hs256_secret: Some("short".into()),
            ..AuthConfig::default()
        };
        assert!(matches!(
            JwtVerifier::from_config(&weak),
            Err(KeyError::WeakSecret { .. })
        ));
        let shared = AuthConfig {
            hs256_secret: Some(PROD_SECRET.into()),
            service_secret: Some(PROD_SECRET.into()),
            ..AuthConfig::default()
        };
        assert!(matches!(
            JwtVerifier::from_config(&shared),
            Err(KeyError::SharedServiceSecret)
        ));
        // An explicitly configured secret verifies its own tokens, not dev ones.
        let prod = AuthConfig {
            hs256_secret: Some(PROD_SECRET.into()),
            ..AuthConfig::default()
        };
        let verifier = JwtVerifier::from_config(&prod).unwrap();
        assert_eq!(
            verifier.verify(&dev_token).unwrap_err().code,
            ErrorCode::InvalidToken
        );
        let (own, _) = JwtIssuer::from_config(&prod)
            .unwrap()
            .issue("u1", &[])
            .unwrap();
        assert_eq!(verifier.verify(&own).unwrap().sub, "u1");
    }

    #[test]
    fn service_credentials_are_not_user_tokens() {
        let dev = config();
        let verifier = JwtVerifier::from_config(&dev).unwrap();
        let signer = ServiceSigner::from_config("orders", &dev).unwrap();
        let service = signer.token().unwrap();
        assert_eq!(verifier.verify_service(&service).unwrap(), "orders");
        // A user token is no service credential, and the other way round.
        let (user, _) = JwtIssuer::from_config(&dev)
            .unwrap()
            .issue("u1", &["inventory:write".into()])
            .unwrap();
        assert!(verifier.verify_service(&user).is_err());
        assert!(verifier.verify(&service).is_err());
        // A verifier without a service secret refuses every credential.
        let no_service = AuthConfig {
            service_secret: None,
            ..config()
        };
        let verifier = JwtVerifier::from_config(&no_service).unwrap();
        assert!(verifier.verify_service(&service).is_err());
        assert!(matches!(
            ServiceSigner::from_config("orders", &no_service),
            Err(KeyError::NoServiceSecret)
        ));
    }
}
