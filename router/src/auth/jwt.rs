//! JWT authentication at the router: a bearer token (from a header or a
//! cookie) is verified before anything is parsed or planned.
//!
//! - Each configured issuer has its own algorithms (an explicit allow-list),
//!   audiences and keys: an HS secret, a JWKS file, a JWKS URL, or several.
//! - The token's `iss` picks the issuer; its `alg` must be on that issuer's
//!   list; `none` never parses; HS tokens are only checked against the
//!   issuer's configured secret (never against a public key, and never
//!   against a symmetric key found in a JWKS).
//! - JWKS keys are chosen by `kid` and must belong to the token algorithm's
//!   family (and match the key's own `alg`, when it has one). URLs are fetched
//!   at start, again every `refresh_interval_secs` (in the background), and on
//!   a token with an unknown `kid` (at most once per
//!   `min_refetch_interval_secs`, so unknown kids cannot make the router hammer
//!   the identity provider). A failed fetch keeps the last good keys.
//! - `exp` is required, `nbf` is checked when present, both with `leeway_secs`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use http::HeaderMap;
use jsonwebtoken::jwk::{Jwk, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};

use super::Claims;

/// Secrets that ship in Tessera's source (the subgraph kit's development
/// secrets, spelled out here because the router does not depend on the kit;
/// a test there checks they agree): never accepted outside `tessera dev`.
pub const PUBLIC_SECRETS: &[&str] = &[
    "tessera-dev-secret-change-me",
    "tessera-dev-service-secret-change-me",
];

/// Shortest HS secret accepted (RFC 7518 §3.2: as long as the hash output).
pub const MIN_SECRET_BYTES: usize = 32;

/// Largest JWKS document fetched, in bytes.
const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// `authentication.jwt`: how client tokens are found and verified.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JwtConfig {
    /// Token issuers accepted (at least one).
    pub issuers: Vec<JwtIssuerConfig>,
    /// Request header carrying the token.
    pub header_name: String,
    /// Scheme before the token in that header (`Bearer`, matched without
    /// regard to case); empty: the whole value is the token.
    pub header_prefix: String,
    /// Cookie carrying the token when the header is absent.
    pub cookie: Option<String>,
    /// Refuse requests without a token (401 `UNAUTHENTICATED`). Off: requests
    /// without one run anonymously, and the auth directives decide.
    pub require_authentication: bool,
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
    /// Header, sent to every subgraph, carrying the verified claims as JSON
    /// (a client-sent header of that name is dropped). Unset: not sent.
    pub forward_claims_header: Option<String>,
}

impl Default for JwtConfig {
    fn default() -> Self {
        Self {
            issuers: Vec::new(),
            header_name: "authorization".to_owned(),
            header_prefix: "Bearer".to_owned(),
            cookie: None,
            require_authentication: false,
            leeway_secs: 60,
            forward_claims_header: None,
        }
    }
}

/// One issuer whose tokens the router accepts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtIssuerConfig {
    /// The token's `iss`.
    pub issuer: String,
    /// Accepted `aud` values (one must match); empty: `aud` is not checked.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Accepted algorithms, e.g. `[RS256]`. HS algorithms need `secret`; the
    /// others need `jwks_file` or `jwks_url`.
    pub algorithms: Vec<Algorithm>,
    /// Shared secret for HS algorithms (at least 32 bytes).
    #[serde(default)]
    pub secret: Option<String>,
    /// A JWKS document on disk.
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    /// A JWKS document served over HTTP(S).
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// Refetch the JWKS URL (and reread the file) this often, in seconds.
    #[serde(default = "default_refresh_secs")]
    pub refresh_interval_secs: u64,
    /// Least time between two fetches caused by unknown `kid`s, in seconds.
    #[serde(default = "default_min_refetch_secs")]
    pub min_refetch_interval_secs: u64,
    /// Accept the secrets that ship in the source. Only `tessera dev` sets it.
    #[serde(skip)]
    pub development: bool,
}

fn default_refresh_secs() -> u64 {
    300
}

fn default_min_refetch_secs() -> u64 {
    10
}

/// A JWT configuration the router refuses to start with.
#[derive(Debug, thiserror::Error)]
pub enum JwtConfigError {
    #[error("authentication.jwt needs at least one issuer")]
    NoIssuer,
    #[error("issuer {issuer:?}: no algorithms listed")]
    NoAlgorithms { issuer: String },
    #[error("issuer {issuer:?}: HS algorithms need `secret`")]
    MissingSecret { issuer: String },
    #[error("issuer {issuer:?}: `secret` is set but no HS algorithm is listed")]
    UnusedSecret { issuer: String },
    #[error("issuer {issuer:?}: {algorithm:?} needs `jwks_file` or `jwks_url`")]
    MissingKeys {
        issuer: String,
        algorithm: Algorithm,
    },
    #[error(
        "issuer {issuer:?}: the secret ships in Tessera's source and is only accepted by `tessera dev`"
    )]
    PublicSecret { issuer: String },
    #[error("issuer {issuer:?}: the secret is shorter than 32 bytes")]
    WeakSecret { issuer: String },
    #[error("issuer {issuer:?} is listed twice")]
    DuplicateIssuer { issuer: String },
    #[error("issuer {issuer:?}: cannot read {path}: {reason}")]
    JwksFile {
        issuer: String,
        path: PathBuf,
        reason: String,
    },
    #[error("invalid header name {0:?}")]
    HeaderName(String),
}

/// Why a token was refused (the message clients see).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("authentication is required")]
    Missing,
    #[error("the {0} header must be `<scheme> <token>`")]
    Malformed(String),
    #[error("invalid token: {0}")]
    Invalid(&'static str),
    #[error("the token has expired")]
    Expired,
}

/// Verifies client tokens for the router.
#[derive(Debug)]
pub struct Authenticator {
    config: JwtConfig,
    header: http::HeaderName,
    /// `forward_claims_header`, parsed once.
    claims_header: Option<http::HeaderName>,
    issuers: Vec<Arc<Issuer>>,
    http: reqwest::Client,
}

#[derive(Debug)]
struct Issuer {
    config: JwtIssuerConfig,
    secret: Option<DecodingKey>,
    keys: RwLock<Arc<Vec<Key>>>,
    /// When the keys were last (re)loaded, successfully or not.
    refreshed: RwLock<Instant>,
    /// When an unknown `kid` last caused a fetch.
    refetched: tokio::sync::Mutex<Option<Instant>>,
    /// A background refresh is running.
    refreshing: AtomicBool,
}

/// A background refresh in progress: clears [`Issuer::refreshing`] when dropped.
struct Refreshing(Arc<Issuer>);

impl Drop for Refreshing {
    fn drop(&mut self) {
        self.0.refreshing.store(false, Ordering::Release);
    }
}

/// One public key from a JWKS.
#[derive(Clone)]
struct Key {
    kid: Option<String>,
    /// The key's own `alg`, when it names one.
    alg: Option<Algorithm>,
    key: DecodingKey,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// Only `iss`, read before the signature is checked to pick the issuer.
#[derive(Deserialize)]
struct IssuerOnly {
    iss: Option<String>,
}

impl Authenticator {
    /// Checks the configuration and loads JWKS files (URLs are fetched by
    /// [`Authenticator::warm_up`] or on first use).
    pub fn new(config: JwtConfig) -> Result<Self, JwtConfigError> {
        if config.issuers.is_empty() {
            return Err(JwtConfigError::NoIssuer);
        }
        let header = http::HeaderName::from_bytes(config.header_name.as_bytes())
            .map_err(|_| JwtConfigError::HeaderName(config.header_name.clone()))?;
        let claims_header = match &config.forward_claims_header {
            Some(name) => Some(
                http::HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| JwtConfigError::HeaderName(name.clone()))?,
            ),
            None => None,
        };
        let mut issuers: Vec<Arc<Issuer>> = Vec::new();
        for issuer in &config.issuers {
            if issuers.iter().any(|i| i.config.issuer == issuer.issuer) {
                return Err(JwtConfigError::DuplicateIssuer {
                    issuer: issuer.issuer.clone(),
                });
            }
            issuers.push(Arc::new(Issuer::new(issuer.clone())?));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Ok(Self {
            config,
            header,
            claims_header,
            issuers,
            http,
        })
    }

    /// The header verified claims are forwarded in, if any.
    pub fn claims_header(&self) -> Option<&http::HeaderName> {
        self.claims_header.as_ref()
    }

    /// Fetches every JWKS URL once (at start, so the first request does not wait).
    pub async fn warm_up(&self) {
        for issuer in &self.issuers {
            issuer.refresh(&self.http).await;
        }
    }

    /// The claims of the request's token: `None` without a token (unless
    /// authentication is required), an error for a token that does not verify.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Option<Claims>, TokenError> {
        let Some(token) = self.token(headers)? else {
            return if self.config.require_authentication {
                Err(TokenError::Missing)
            } else {
                Ok(None)
            };
        };
        self.verify(&token).await.map(Some)
    }

    /// The raw token from the header or, failing that, the cookie.
    fn token(&self, headers: &HeaderMap) -> Result<Option<String>, TokenError> {
        if let Some(value) = headers.get(&self.header) {
            let malformed = || TokenError::Malformed(self.config.header_name.clone());
            let value = value.to_str().map_err(|_| malformed())?.trim();
            let prefix = self.config.header_prefix.trim();
            let token = if prefix.is_empty() {
                value
            } else {
                let (scheme, token) = value.split_once(' ').ok_or_else(malformed)?;
                if !scheme.eq_ignore_ascii_case(prefix) {
                    return Err(malformed());
                }
                token.trim()
            };
            if token.is_empty() {
                return Err(malformed());
            }
            return Ok(Some(token.to_owned()));
        }
        let Some(cookie) = &self.config.cookie else {
            return Ok(None);
        };
        for value in headers.get_all(http::header::COOKIE) {
            let Ok(value) = value.to_str() else { continue };
            for pair in value.split(';') {
                if let Some((name, token)) = pair.trim().split_once('=')
                    && name.trim() == cookie
                    && !token.trim().is_empty()
                {
                    return Ok(Some(token.trim().to_owned()));
                }
            }
        }
        Ok(None)
    }

    /// Verifies a compact JWS and returns its claims.
    pub async fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        // `decode_header` rejects `alg: none` (not an algorithm it knows).
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| TokenError::Invalid("malformed token or unsupported algorithm"))?;
        let iss = jsonwebtoken::dangerous::insecure_decode_claims::<IssuerOnly>(token)
            .map_err(|_| TokenError::Invalid("malformed claims"))?
            .iss
            .ok_or(TokenError::Invalid("no issuer"))?;
        let issuer = self
            .issuers
            .iter()
            .find(|i| i.config.issuer == iss)
            .ok_or(TokenError::Invalid("unknown issuer"))?;
        let alg = header.alg;
        if !issuer.config.algorithms.contains(&alg) {
            return Err(TokenError::Invalid("algorithm not accepted"));
        }
        issuer.refresh_if_due(&self.http);
        let key = if is_hmac(alg) {
            issuer
                .secret
                .clone()
                .ok_or(TokenError::Invalid("algorithm not accepted"))?
        } else {
            match issuer.find_key(header.kid.as_deref(), alg) {
                Some(key) => key,
                None => {
                    issuer.refetch(&self.http).await;
                    issuer
                        .find_key(header.kid.as_deref(), alg)
                        .ok_or(TokenError::Invalid("unknown signing key"))?
                }
            }
        };
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[&issuer.config.issuer]);
        if issuer.config.audiences.is_empty() {
            validation.validate_aud = false;
            validation.set_required_spec_claims(&["exp", "iss"]);
        } else {
            validation.set_audience(&issuer.config.audiences);
            validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        }
        validation.validate_nbf = true;
        validation.leeway = self.config.leeway_secs;
        use jsonwebtoken::errors::ErrorKind;
        match jsonwebtoken::decode::<Claims>(token, &key, &validation) {
            Ok(data) => Ok(data.claims),
            Err(error) => Err(match error.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::ImmatureSignature => TokenError::Invalid("not valid yet"),
                ErrorKind::InvalidSignature => TokenError::Invalid("bad signature"),
                ErrorKind::InvalidAudience => TokenError::Invalid("wrong audience"),
                ErrorKind::InvalidIssuer => TokenError::Invalid("wrong issuer"),
                ErrorKind::MissingRequiredClaim(_) => TokenError::Invalid("missing claim"),
                _ => TokenError::Invalid("could not be verified"),
            }),
        }
    }
}

fn is_hmac(alg: Algorithm) -> bool {
    matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
}

impl Issuer {
    fn new(config: JwtIssuerConfig) -> Result<Self, JwtConfigError> {
        let issuer = || config.issuer.clone();
        if config.algorithms.is_empty() {
            return Err(JwtConfigError::NoAlgorithms { issuer: issuer() });
        }
        let wants_hmac = config.algorithms.iter().any(|a| is_hmac(*a));
        let secret = match (&config.secret, wants_hmac) {
            (None, true) => return Err(JwtConfigError::MissingSecret { issuer: issuer() }),
            (Some(_), false) => return Err(JwtConfigError::UnusedSecret { issuer: issuer() }),
            (None, false) => None,
            (Some(secret), true) => {
                if !config.development && PUBLIC_SECRETS.contains(&secret.as_str()) {
                    return Err(JwtConfigError::PublicSecret { issuer: issuer() });
                }
                if !config.development && secret.len() < MIN_SECRET_BYTES {
                    return Err(JwtConfigError::WeakSecret { issuer: issuer() });
                }
                Some(DecodingKey::from_secret(secret.as_bytes()))
            }
        };
        if let Some(algorithm) = config.algorithms.iter().find(|a| !is_hmac(**a))
            && config.jwks_file.is_none()
            && config.jwks_url.is_none()
        {
            return Err(JwtConfigError::MissingKeys {
                issuer: issuer(),
                algorithm: *algorithm,
            });
        }
        let keys = match &config.jwks_file {
            Some(path) => read_jwks_file(path).map_err(|reason| JwtConfigError::JwksFile {
                issuer: issuer(),
                path: path.clone(),
                reason,
            })?,
            None => Vec::new(),
        };
        // A URL is fetched on first use unless warmed up: due immediately.
        let refreshed = if config.jwks_url.is_some() {
            Instant::now()
                .checked_sub(Duration::from_secs(config.refresh_interval_secs + 1))
                .unwrap_or_else(Instant::now)
        } else {
            Instant::now()
        };
        Ok(Self {
            config,
            secret,
            keys: RwLock::new(Arc::new(keys)),
            refreshed: RwLock::new(refreshed),
            refetched: tokio::sync::Mutex::new(None),
            refreshing: AtomicBool::new(false),
        })
    }

    fn current_keys(&self) -> Arc<Vec<Key>> {
        self.keys
            .read()
            .map(|keys| keys.clone())
            .unwrap_or_default()
    }

    /// The key for `kid` usable with `alg`. Without a `kid`, the only key of
    /// the algorithm's family.
    fn find_key(&self, kid: Option<&str>, alg: Algorithm) -> Option<DecodingKey> {
        let keys = self.current_keys();
        let usable =
            |key: &&Key| key.key.family() == alg.family() && key.alg.is_none_or(|own| own == alg);
        match kid {
            Some(kid) => keys
                .iter()
                .filter(usable)
                .find(|key| key.kid.as_deref() == Some(kid))
                .map(|key| key.key.clone()),
            None => {
                let mut candidates = keys.iter().filter(usable);
                let first = candidates.next()?;
                candidates.next().is_none().then(|| first.key.clone())
            }
        }
    }

    /// Starts a background refresh once the interval has passed.
    fn refresh_if_due(self: &Arc<Self>, http: &reqwest::Client) {
        if self.config.jwks_url.is_none() && self.config.jwks_file.is_none() {
            return;
        }
        let interval = Duration::from_secs(self.config.refresh_interval_secs.max(1));
        let due = self
            .refreshed
            .read()
            .map(|at| at.elapsed() >= interval)
            .unwrap_or(true);
        if !due || self.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        // Mark it now so concurrent requests do not start another.
        if let Ok(mut at) = self.refreshed.write() {
            *at = Instant::now();
        }
        // Cleared however the task ends (a refresh cut short, e.g. by its
        // runtime shutting down, must not block every later one).
        let running = Refreshing(Arc::clone(self));
        let http = http.clone();
        tokio::spawn(async move {
            running.0.refresh(&http).await;
            drop(running);
        });
    }

    /// Fetches now (at most once per `min_refetch_interval_secs`), waiting for
    /// the result: a token named a `kid` we do not know.
    async fn refetch(&self, http: &reqwest::Client) {
        if self.config.jwks_url.is_none() && self.config.jwks_file.is_none() {
            return;
        }
        let mut last = self.refetched.lock().await;
        let min = Duration::from_secs(self.config.min_refetch_interval_secs);
        if last.is_some_and(|at| at.elapsed() < min) {
            return;
        }
        *last = Some(Instant::now());
        self.refresh(http).await;
    }

    /// Reloads the keys from every source; a failed source keeps the last good keys.
    async fn refresh(&self, http: &reqwest::Client) {
        let loaded = load_keys(&self.config, http).await;
        self.store(loaded);
    }

    fn store(&self, loaded: Option<Vec<Key>>) {
        if let Ok(mut at) = self.refreshed.write() {
            *at = Instant::now();
        }
        if let Some(keys) = loaded
            && let Ok(mut slot) = self.keys.write()
        {
            *slot = Arc::new(keys);
        }
    }
}

/// Every key from the issuer's file and URL; `None` when a source failed (the
/// caller then keeps what it had).
async fn load_keys(config: &JwtIssuerConfig, http: &reqwest::Client) -> Option<Vec<Key>> {
    let mut keys = Vec::new();
    if let Some(path) = &config.jwks_file {
        match read_jwks_file(path) {
            Ok(found) => keys.extend(found),
            Err(reason) => {
                tracing::warn!(issuer = %config.issuer, path = %path.display(), %reason, "cannot reload the JWKS file; keeping the last good keys");
                return None;
            }
        }
    }
    if let Some(url) = &config.jwks_url {
        match fetch_jwks(http, url).await {
            Ok(found) => keys.extend(found),
            Err(reason) => {
                tracing::warn!(issuer = %config.issuer, %url, %reason, "cannot fetch the JWKS; keeping the last good keys");
                return None;
            }
        }
    }
    Some(keys)
}

async fn fetch_jwks(http: &reqwest::Client, url: &str) -> Result<Vec<Key>, String> {
    let mut response = http.get(url).send().await.map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("status {}", response.status()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > MAX_JWKS_BYTES {
            return Err(format!("larger than {MAX_JWKS_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    parse_jwks(&body)
}

fn read_jwks_file(path: &std::path::Path) -> Result<Vec<Key>, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    parse_jwks(&bytes)
}

/// The public keys of a JWKS document. Symmetric (`oct`) keys and keys for
/// encryption are skipped: HS tokens are only checked with a configured secret.
fn parse_jwks(bytes: &[u8]) -> Result<Vec<Key>, String> {
    #[derive(Deserialize)]
    struct Loose {
        keys: Vec<serde_json::Value>,
    }
    // Keys this crate cannot read (other key types, extra members) are skipped
    // one by one rather than failing the whole set.
    let loose: Loose = serde_json::from_slice(bytes).map_err(|e| format!("not a JWKS: {e}"))?;
    let mut keys = Vec::new();
    for value in loose.keys {
        let Ok(jwk) = serde_json::from_value::<Jwk>(value) else {
            continue;
        };
        if let Some(key) = public_key(&jwk) {
            keys.push(key);
        }
    }
    // An empty set (or one with nothing usable) is a failed fetch: the last
    // good keys stay.
    if keys.is_empty() {
        return Err("no usable signing key in the JWKS".to_owned());
    }
    Ok(keys)
}

fn public_key(jwk: &Jwk) -> Option<Key> {
    use jsonwebtoken::jwk::{AlgorithmParameters, PublicKeyUse};
    if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
        return None;
    }
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return None;
    }
    let alg = match jwk.common.key_algorithm {
        None => None,
        Some(alg) => Some(signing_algorithm(alg)?),
    };
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(Key {
        kid: jwk.common.key_id.clone(),
        alg,
        key,
    })
}

/// The signature algorithm a JWK's `alg` names (`None`: not a signature one).
fn signing_algorithm(alg: KeyAlgorithm) -> Option<Algorithm> {
    Some(match alg {
        KeyAlgorithm::RS256 => Algorithm::RS256,
        KeyAlgorithm::RS384 => Algorithm::RS384,
        KeyAlgorithm::RS512 => Algorithm::RS512,
        KeyAlgorithm::PS256 => Algorithm::PS256,
        KeyAlgorithm::PS384 => Algorithm::PS384,
        KeyAlgorithm::PS512 => Algorithm::PS512,
        KeyAlgorithm::ES256 => Algorithm::ES256,
        KeyAlgorithm::ES384 => Algorithm::ES384,
        KeyAlgorithm::EdDSA => Algorithm::EdDSA,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header};

    const SECRET: &str = "a-test-secret-that-is-long-enough-for-hs256";

    fn issuer(name: &str) -> JwtIssuerConfig {
        JwtIssuerConfig {
            issuer: name.to_owned(),
            audiences: vec!["api".to_owned()],
            algorithms: vec![Algorithm::HS256],
            secret: Some(SECRET.to_owned()),
            jwks_file: None,
            jwks_url: None,
            refresh_interval_secs: 300,
            min_refetch_interval_secs: 10,
            development: false,
        }
    }

    /// A background refresh whose task is dropped before it finishes (its
    /// runtime shut down mid-fetch) leaves the issuer free to refresh again.
    #[test]
    fn a_refresh_cut_short_does_not_block_later_refreshes() {
        // Accepts connections (the kernel's backlog) and never answers.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/jwks.json", silent.local_addr().expect("addr"));
        let config = JwtIssuerConfig {
            jwks_url: Some(url),
            ..issuer("https://hangs.example")
        };
        let issuer = Arc::new(Issuer::new(config).expect("issuer"));
        let http = reqwest::Client::new();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            issuer.refresh_if_due(&http);
            tokio::time::sleep(Duration::from_millis(100)).await;
        });
        assert!(issuer.refreshing.load(Ordering::Acquire), "still fetching");
        drop(runtime);
        assert!(
            !issuer.refreshing.load(Ordering::Acquire),
            "the cancelled refresh still counts as running"
        );
    }

    fn authenticator(issuers: Vec<JwtIssuerConfig>) -> Authenticator {
        Authenticator::new(JwtConfig {
            issuers,
            ..JwtConfig::default()
        })
        .expect("valid config")
    }

    fn hs256(claims: serde_json::Value) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .expect("signs")
    }

    fn now() -> i64 {
        i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap_or(0)
    }

    #[tokio::test]
    async fn verifies_issuer_audience_expiry_and_not_before() {
        let auth = authenticator(vec![issuer("a")]);
        let ok =
            hs256(serde_json::json!({"iss": "a", "aud": "api", "sub": "u", "exp": now() + 60}));
        let claims = auth.verify(&ok).await.expect("valid");
        assert_eq!(claims.get("sub").and_then(|v| v.as_str()), Some("u"));
        let cases = [
            (
                serde_json::json!({"iss": "b", "aud": "api", "exp": now() + 60}),
                TokenError::Invalid("unknown issuer"),
            ),
            (
                serde_json::json!({"iss": "a", "aud": "other", "exp": now() + 60}),
                TokenError::Invalid("wrong audience"),
            ),
            (
                serde_json::json!({"iss": "a", "exp": now() + 60}),
                TokenError::Invalid("missing claim"),
            ),
            (
                serde_json::json!({"iss": "a", "aud": "api", "exp": now() - 3600}),
                TokenError::Expired,
            ),
            (
                serde_json::json!({"iss": "a", "aud": "api"}),
                TokenError::Invalid("missing claim"),
            ),
            (
                serde_json::json!({"iss": "a", "aud": "api", "exp": now() + 600, "nbf": now() + 300}),
                TokenError::Invalid("not valid yet"),
            ),
        ];
        for (claims, expected) in cases {
            assert_eq!(
                auth.verify(&hs256(claims.clone())).await,
                Err(expected),
                "{claims}"
            );
        }
        // Within the leeway: accepted.
        let skewed = hs256(
            serde_json::json!({"iss": "a", "aud": "api", "exp": now() - 10, "nbf": now() + 10}),
        );
        assert!(auth.verify(&skewed).await.is_ok());
    }

    #[tokio::test]
    async fn refuses_none_and_algorithms_not_listed() {
        let auth = authenticator(vec![issuer("a")]);
        let body = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            serde_json::json!({"iss": "a", "aud": "api", "exp": now() + 60}).to_string(),
        );
        for header in [
            r#"{"alg":"none","typ":"JWT"}"#,
            r#"{"alg":"HS512","typ":"JWT"}"#,
        ] {
            let head =
                base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header);
            let token = format!("{head}.{body}.");
            assert!(auth.verify(&token).await.is_err(), "{header}");
        }
        assert!(auth.verify("not a token").await.is_err());
    }

    #[test]
    fn configuration_mistakes_are_refused() {
        let new = |issuer: JwtIssuerConfig| {
            Authenticator::new(JwtConfig {
                issuers: vec![issuer],
                ..JwtConfig::default()
            })
        };
        assert!(matches!(
            Authenticator::new(JwtConfig::default()),
            Err(JwtConfigError::NoIssuer)
        ));
        let mut public = issuer("a");
        public.secret = Some(PUBLIC_SECRETS[0].to_owned());
        assert!(matches!(
            new(public.clone()),
            Err(JwtConfigError::PublicSecret { .. })
        ));
        public.development = true;
        assert!(new(public).is_ok());
        let mut weak = issuer("a");
        weak.secret = Some("short".to_owned());
        assert!(matches!(new(weak), Err(JwtConfigError::WeakSecret { .. })));
        let mut rs = issuer("a");
        rs.algorithms = vec![Algorithm::RS256];
        assert!(matches!(
            new(rs.clone()),
            Err(JwtConfigError::UnusedSecret { .. })
        ));
        rs.secret = None;
        assert!(matches!(new(rs), Err(JwtConfigError::MissingKeys { .. })));
        let mut none = issuer("a");
        none.algorithms.clear();
        assert!(matches!(
            new(none),
            Err(JwtConfigError::NoAlgorithms { .. })
        ));
        assert!(matches!(
            Authenticator::new(JwtConfig {
                issuers: vec![issuer("a"), issuer("a")],
                ..JwtConfig::default()
            }),
            Err(JwtConfigError::DuplicateIssuer { .. })
        ));
    }

    #[tokio::test]
    async fn reads_the_token_from_the_header_or_a_cookie() {
        let auth = Authenticator::new(JwtConfig {
            issuers: vec![issuer("a")],
            cookie: Some("session".to_owned()),
            ..JwtConfig::default()
        })
        .expect("valid");
        let token = hs256(serde_json::json!({"iss": "a", "aud": "api", "exp": now() + 60}));
        let mut headers = HeaderMap::new();
        assert_eq!(auth.authenticate(&headers).await, Ok(None));
        headers.insert(
            http::header::COOKIE,
            format!("theme=dark; session={token}")
                .parse()
                .expect("header"),
        );
        assert!(auth.authenticate(&headers).await.expect("valid").is_some());
        headers.insert(
            http::header::AUTHORIZATION,
            "Basic abc".parse().expect("header"),
        );
        assert!(matches!(
            auth.authenticate(&headers).await,
            Err(TokenError::Malformed(_))
        ));
        headers.insert(
            http::header::AUTHORIZATION,
            format!("bearer {token}").parse().expect("header"),
        );
        assert!(auth.authenticate(&headers).await.expect("valid").is_some());
    }

    #[test]
    fn jwks_parsing_skips_symmetric_and_unknown_keys() {
        let set = serde_json::json!({"keys": [
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hs"},
            {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "ed", "alg": "EdDSA"},
            {"kty": "weird", "kid": "x"}
        ]});
        let keys = parse_jwks(set.to_string().as_bytes()).expect("parses");
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kid.as_deref(), Some("ed"));
        assert!(parse_jwks(b"{}").is_err());
        // Regression: an empty set replaced the last good keys.
        assert!(parse_jwks(br#"{"keys": []}"#).is_err());
        assert!(parse_jwks(br#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#).is_err());
    }
}
