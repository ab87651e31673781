//! Client-visible errors with stable codes.
//!
//! Every error a client can see carries a `SCREAMING_SNAKE` code in
//! `extensions.code`. Internal failures (database, upstream bugs) are logged with
//! their detail and reach the client only as `INTERNAL_SERVER_ERROR` with a
//! generic message, so no internals leak.
//!
//! [`ApiError`] deliberately does not implement `Display`: async-graphql has a
//! blanket conversion from every `Display` type into its error, which would drop
//! our code. The explicit `From<ApiError> for async_graphql::Error` keeps it.

use async_graphql::ErrorExtensions;

/// The stable error codes of the domain subgraphs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// An argument or input field is invalid (bad email, negative quantity, page too large, malformed cursor).
    BadUserInput,
    /// The operation needs a signed-in user and the request carries no token.
    Unauthenticated,
    /// The bearer token is malformed, forged, signed with an unexpected algorithm, or for another audience.
    InvalidToken,
    /// The bearer token has expired.
    TokenExpired,
    /// The user is signed in but lacks a required scope or owns no such resource.
    Forbidden,
    /// The requested record does not exist.
    NotFound,
    /// Sign-up with an email that already has an account.
    EmailTaken,
    /// A product with this SKU already exists.
    SkuTaken,
    /// Log-in with an unknown email or a wrong password (deliberately indistinguishable).
    InvalidCredentials,
    /// Not enough stock to reserve the requested quantity.
    InsufficientStock,
    /// The order is not in a state that allows the change (e.g. cancelling a cancelled order).
    InvalidOrderState,
    /// A service this subgraph depends on did not answer correctly.
    ServiceUnavailable,
    /// Too many attempts (e.g. failed log-ins for one account); try later.
    TooManyAttempts,
    /// Anything else; details are only in the logs.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::InvalidToken => "INVALID_TOKEN",
            Self::TokenExpired => "TOKEN_EXPIRED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::EmailTaken => "EMAIL_TAKEN",
            Self::SkuTaken => "SKU_TAKEN",
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::InsufficientStock => "INSUFFICIENT_STOCK",
            Self::InvalidOrderState => "INVALID_ORDER_STATE",
            Self::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            Self::TooManyAttempts => "TOO_MANY_ATTEMPTS",
            Self::Internal => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The HTTP status for a request rejected as a whole with this code. Errors
    /// raised inside resolvers travel in a 200 response next to partial data.
    pub fn http_status(self) -> u16 {
        match self {
            Self::BadUserInput => 400,
            Self::Unauthenticated | Self::InvalidToken | Self::TokenExpired => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::EmailTaken | Self::SkuTaken | Self::InvalidOrderState => 409,
            Self::InvalidCredentials => 401,
            Self::InsufficientStock => 409,
            Self::ServiceUnavailable => 503,
            Self::TooManyAttempts => 429,
            Self::Internal => 500,
        }
    }

    /// Parses a code string back (used by clients of other subgraphs, e.g. orders → inventory).
    pub fn from_code(code: &str) -> Option<Self> {
        const ALL: [ErrorCode; 14] = [
            ErrorCode::BadUserInput,
            ErrorCode::Unauthenticated,
            ErrorCode::InvalidToken,
            ErrorCode::TokenExpired,
            ErrorCode::Forbidden,
            ErrorCode::NotFound,
            ErrorCode::EmailTaken,
            ErrorCode::SkuTaken,
            ErrorCode::InvalidCredentials,
            ErrorCode::InsufficientStock,
            ErrorCode::InvalidOrderState,
            ErrorCode::ServiceUnavailable,
            ErrorCode::TooManyAttempts,
            ErrorCode::Internal,
        ];
        ALL.into_iter().find(|c| c.as_str() == code)
    }
}

/// An error a client may see: a stable code and a human message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadUserInput, message)
    }

    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} `{id}` not found"))
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            ErrorCode::Unauthenticated,
            "this operation requires a signed-in user",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// Logs `detail` and returns an error that shows the client nothing of it.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(ErrorCode::Internal, "internal server error")
    }

    /// The GraphQL response body for a request rejected before execution.
    pub fn to_response_body(&self) -> serde_json::Value {
        serde_json::json!({
            "errors": [{
                "message": self.message,
                "extensions": { "code": self.code.as_str() }
            }]
        })
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(e: ApiError) -> Self {
        async_graphql::Error::new(e.message).extend_with(|_, ext| ext.set("code", e.code.as_str()))
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        ApiError::internal(e)
    }
}

impl From<sea_orm::TransactionError<ApiError>> for ApiError {
    fn from(e: sea_orm::TransactionError<ApiError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => ApiError::internal(db),
            sea_orm::TransactionError::Transaction(api) => api,
        }
    }
}

/// Wraps a DataLoader error (an `Arc<ApiError>`) back into a GraphQL error.
pub fn loader_error(e: std::sync::Arc<ApiError>) -> async_graphql::Error {
    ApiError::clone(&e).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in [
            ErrorCode::BadUserInput,
            ErrorCode::InsufficientStock,
            ErrorCode::Internal,
        ] {
            assert_eq!(ErrorCode::from_code(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::from_code("NOPE"), None);
    }

    #[test]
    fn internal_errors_do_not_leak_detail() {
        let e = ApiError::internal("connection refused to 10.0.0.5:5432");
        let gql: async_graphql::Error = e.into();
        assert_eq!(gql.message, "internal server error");
    }
}
