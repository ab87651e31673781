//! Errors a client may see: stable codes, the GraphQL error shape, and the single
//! place that maps codes to HTTP statuses.

use apollo_compiler::response::{JsonMap, JsonValue};
use serde::Serialize;

pub use tessera_graphql_http::ResponseMode;

/// Stable `extensions.code` values. Never rename one: clients match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The body is not JSON, not a GraphQL request object, or lacks `query`.
    InvalidRequest,
    /// The request body is larger than `limits.max_body_bytes`.
    PayloadTooLarge,
    /// A POST without `Content-Type`, or whose `Content-Type` is not
    /// `application/json` in UTF-8.
    UnsupportedMediaType,
    /// `Accept` names no media type the router can answer with.
    NotAcceptable,
    /// A mutation over GET, or an HTTP method other than GET/POST.
    MethodNotAllowed,
    /// The document does not parse.
    ParseFailed,
    /// The document is not valid against the API schema.
    ValidationFailed,
    /// `operationName` names no operation, or is needed and missing.
    OperationNotFound,
    /// Variables do not coerce to their declared types.
    BadUserInput,
    /// Field nesting deeper than `limits.max_depth`.
    MaxDepthExceeded,
    /// More aliases than `limits.max_aliases`.
    MaxAliasesExceeded,
    /// More root fields than `limits.max_root_fields`.
    MaxRootFieldsExceeded,
    /// More fields, fragments expanded, than `limits.max_fields`.
    MaxFieldsExceeded,
    /// The operation's estimated cost is over `demand_control.max_cost`.
    CostEstimatedTooExpensive,
    /// The headers to pass on to subgraphs exceed
    /// `limits.max_forwarded_header_bytes`.
    RequestHeadersTooLarge,
    /// More tokens than `limits.max_tokens`.
    MaxTokensExceeded,
    /// A persisted query by hash or id while neither APQ nor a manifest is
    /// configured.
    PersistedQueryNotSupported,
    /// APQ: the hash is not registered (yet); send the query with it.
    PersistedQueryNotFound,
    /// Safelisting: the document (or id) is not in the trusted manifest.
    PersistedQueryNotInList,
    /// APQ: the query sent does not hash to `sha256Hash`.
    PersistedQueryHashMismatch,
    /// `__schema` / `__type` while introspection is off.
    IntrospectionDisabled,
    /// Subscriptions are not supported yet.
    SubscriptionNotSupported,
    /// The planner could not plan a valid operation.
    QueryPlanningFailed,
    /// A subgraph could not be reached (connection refused, reset, ...).
    SubgraphRequestFailed,
    /// A subgraph did not answer within its timeout.
    SubgraphTimeout,
    /// A subgraph answered with a non-2xx status and no GraphQL body.
    SubgraphHttpError,
    /// A subgraph answered with something that is not a GraphQL response.
    SubgraphInvalidResponse,
    /// No token where one is required, or a token that does not verify.
    Unauthenticated,
    /// A field or type the caller may not select (`@authenticated`,
    /// `@requiresScopes`, `@policy`).
    UnauthorizedFieldOrType,
    /// The client used up its rate limit; `Retry-After` says when to return.
    RateLimited,
    /// A GET without any of `csrf.required_headers`.
    CsrfPreventionRequired,
    /// A bug in the router; details are only logged.
    InternalServerError,
}

impl ErrorCode {
    /// The `extensions.code` string.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "INVALID_GRAPHQL_REQUEST",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            ErrorCode::NotAcceptable => "NOT_ACCEPTABLE",
            ErrorCode::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ErrorCode::ParseFailed => "GRAPHQL_PARSE_FAILED",
            ErrorCode::ValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            ErrorCode::OperationNotFound => "OPERATION_NOT_FOUND",
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::MaxDepthExceeded => "MAX_DEPTH_EXCEEDED",
            ErrorCode::MaxAliasesExceeded => "MAX_ALIASES_EXCEEDED",
            ErrorCode::MaxRootFieldsExceeded => "MAX_ROOT_FIELDS_EXCEEDED",
            ErrorCode::MaxFieldsExceeded => "MAX_FIELDS_EXCEEDED",
            ErrorCode::CostEstimatedTooExpensive => "COST_ESTIMATED_TOO_EXPENSIVE",
            ErrorCode::RequestHeadersTooLarge => "REQUEST_HEADERS_TOO_LARGE",
            ErrorCode::MaxTokensExceeded => "MAX_TOKENS_EXCEEDED",
            ErrorCode::PersistedQueryNotSupported => "PERSISTED_QUERY_NOT_SUPPORTED",
            ErrorCode::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            ErrorCode::PersistedQueryNotInList => "PERSISTED_QUERY_NOT_IN_LIST",
            ErrorCode::PersistedQueryHashMismatch => "PERSISTED_QUERY_HASH_MISMATCH",
            ErrorCode::IntrospectionDisabled => "INTROSPECTION_DISABLED",
            ErrorCode::SubscriptionNotSupported => "SUBSCRIPTION_NOT_SUPPORTED",
            ErrorCode::QueryPlanningFailed => "QUERY_PLANNING_FAILED",
            ErrorCode::SubgraphRequestFailed => "SUBGRAPH_REQUEST_FAILED",
            ErrorCode::SubgraphTimeout => "SUBGRAPH_TIMEOUT",
            ErrorCode::SubgraphHttpError => "SUBGRAPH_HTTP_ERROR",
            ErrorCode::SubgraphInvalidResponse => "SUBGRAPH_INVALID_RESPONSE",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::UnauthorizedFieldOrType => "UNAUTHORIZED_FIELD_OR_TYPE",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::CsrfPreventionRequired => "CSRF_PREVENTION_REQUIRED",
            ErrorCode::InternalServerError => "INTERNAL_SERVER_ERROR",
        }
    }
}

/// The HTTP status for a response that failed *before execution* (no `data`) with
/// `code`. Responses with `data` (even partial) are always 200.
///
/// This is the only place codes meet statuses.
pub fn http_status(code: ErrorCode, mode: ResponseMode) -> http::StatusCode {
    use http::StatusCode as S;
    match code {
        // Not a well-formed GraphQL request at all: 400 whatever the media type
        // (GraphQL over HTTP §"JSON parsing failure").
        ErrorCode::InvalidRequest
        | ErrorCode::PersistedQueryNotSupported
        | ErrorCode::PersistedQueryHashMismatch => S::BAD_REQUEST,
        ErrorCode::PayloadTooLarge => S::PAYLOAD_TOO_LARGE,
        ErrorCode::UnsupportedMediaType => S::UNSUPPORTED_MEDIA_TYPE,
        // GraphQL over HTTP §"Body": 406 is the RECOMMENDED answer to an `Accept`
        // without a supported media type.
        ErrorCode::NotAcceptable => S::NOT_ACCEPTABLE,
        ErrorCode::RequestHeadersTooLarge => S::REQUEST_HEADER_FIELDS_TOO_LARGE,
        ErrorCode::MethodNotAllowed => S::METHOD_NOT_ALLOWED,
        // RFC 9110 §15.5.2: the client must (re)authenticate, whatever the media type.
        ErrorCode::Unauthenticated => S::UNAUTHORIZED,
        // `authorization.reject_unauthorized`: the whole request is refused.
        ErrorCode::UnauthorizedFieldOrType => S::FORBIDDEN,
        ErrorCode::RateLimited => S::TOO_MANY_REQUESTS,
        ErrorCode::CsrfPreventionRequired => S::BAD_REQUEST,
        ErrorCode::QueryPlanningFailed | ErrorCode::InternalServerError => S::INTERNAL_SERVER_ERROR,
        // Request errors on a well-formed request: 4xx only for the new media type.
        ErrorCode::ParseFailed
        | ErrorCode::ValidationFailed
        | ErrorCode::OperationNotFound
        | ErrorCode::BadUserInput
        | ErrorCode::MaxDepthExceeded
        | ErrorCode::MaxAliasesExceeded
        | ErrorCode::MaxRootFieldsExceeded
        | ErrorCode::MaxFieldsExceeded
        | ErrorCode::CostEstimatedTooExpensive
        // APQ clients read the code from the body whatever the status.
        | ErrorCode::PersistedQueryNotFound
        | ErrorCode::PersistedQueryNotInList
        | ErrorCode::MaxTokensExceeded
        | ErrorCode::IntrospectionDisabled
        | ErrorCode::SubscriptionNotSupported => match mode {
            ResponseMode::Json => S::OK,
            ResponseMode::GraphQLResponseJson => S::BAD_REQUEST,
        },
        // Field errors always come with data, so these never end a request. Should
        // one ever do, the new media type must not get a 2xx without `data`
        // (§"application/graphql-response+json").
        ErrorCode::SubgraphRequestFailed
        | ErrorCode::SubgraphTimeout
        | ErrorCode::SubgraphHttpError
        | ErrorCode::SubgraphInvalidResponse => match mode {
            ResponseMode::Json => S::OK,
            ResponseMode::GraphQLResponseJson => S::BAD_GATEWAY,
        },
    }
}

/// One segment of an error path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum PathSegment {
    Key(String),
    Index(usize),
}

/// A line/column in the client's document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

/// Longest error message sent, in bytes: messages that quote client input (a
/// huge id, a long string) are cut here, so the input is never echoed whole.
pub const MAX_MESSAGE_BYTES: usize = 512;

/// Most errors one rejected request lists; the rest are summarized in one
/// more error, so a document with thousands of faults gets a small answer.
pub const MAX_REQUEST_ERRORS: usize = 100;

/// `message` cut to [`MAX_MESSAGE_BYTES`] at a character boundary, with `…`.
pub fn clip(message: String) -> String {
    if message.len() <= MAX_MESSAGE_BYTES {
        return message;
    }
    let mut end = MAX_MESSAGE_BYTES;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    let mut clipped = message[..end].to_string();
    clipped.push('…');
    clipped
}

/// A GraphQL error as sent to clients (spec §7.1.2 "Errors").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphQLError {
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<PathSegment>>,
    #[serde(skip_serializing_if = "JsonMap::is_empty")]
    pub extensions: JsonMap,
}

impl GraphQLError {
    /// An error with a message and a code.
    pub fn new(message: impl Into<String>, code: ErrorCode) -> Self {
        let mut extensions = JsonMap::new();
        extensions.insert("code", JsonValue::from(code.as_str()));
        GraphQLError {
            message: clip(message.into()),
            locations: Vec::new(),
            path: None,
            extensions,
        }
    }

    pub fn with_path(mut self, path: Vec<PathSegment>) -> Self {
        self.path = Some(path);
        self
    }

    pub fn with_locations(mut self, locations: Vec<Location>) -> Self {
        self.locations = locations;
        self
    }

    pub fn with_extension(mut self, key: &str, value: JsonValue) -> Self {
        self.extensions.insert(key.to_string(), value);
        self
    }

    /// The code in `extensions.code`, if any.
    pub fn code(&self) -> Option<&str> {
        self.extensions.get("code").and_then(|c| c.as_str())
    }
}

/// A request that stops before execution: one code, one or more errors.
#[derive(Debug, Clone)]
pub struct RequestError {
    pub code: ErrorCode,
    pub errors: Vec<GraphQLError>,
}

impl RequestError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        RequestError {
            code,
            errors: vec![GraphQLError::new(message, code)],
        }
    }

    /// A request error listing `errors`, at most [`MAX_REQUEST_ERRORS`] of them.
    pub fn with_errors(code: ErrorCode, mut errors: Vec<GraphQLError>) -> Self {
        if errors.len() > MAX_REQUEST_ERRORS {
            let omitted = errors.len() - MAX_REQUEST_ERRORS;
            errors.truncate(MAX_REQUEST_ERRORS);
            errors.push(GraphQLError::new(
                format!("{omitted} more errors omitted"),
                code,
            ));
        }
        RequestError { code, errors }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: a 100 KB id came back whole in an error message, and 3,000
    /// unknown directives gave a 448 KB error list.
    #[test]
    fn errors_are_clipped_and_capped() {
        let long = format!("unknown id \"{}\"", "é".repeat(50_000));
        let error = GraphQLError::new(long, ErrorCode::ValidationFailed);
        assert!(error.message.len() <= MAX_MESSAGE_BYTES + '…'.len_utf8());
        assert!(error.message.ends_with('…'));
        let many = (0..3_000)
            .map(|i| GraphQLError::new(format!("e{i}"), ErrorCode::ValidationFailed))
            .collect();
        let request = RequestError::with_errors(ErrorCode::ValidationFailed, many);
        assert_eq!(request.errors.len(), MAX_REQUEST_ERRORS + 1);
        assert_eq!(
            request.errors[MAX_REQUEST_ERRORS].message,
            "2900 more errors omitted"
        );
    }

    #[test]
    fn request_errors_are_4xx_only_for_the_graphql_response_media_type() {
        assert_eq!(
            http_status(ErrorCode::ValidationFailed, ResponseMode::Json),
            http::StatusCode::OK
        );
        assert_eq!(
            http_status(
                ErrorCode::ValidationFailed,
                ResponseMode::GraphQLResponseJson
            ),
            http::StatusCode::BAD_REQUEST
        );
        assert_eq!(
            http_status(ErrorCode::InvalidRequest, ResponseMode::Json),
            http::StatusCode::BAD_REQUEST
        );
        assert_eq!(
            http_status(ErrorCode::PayloadTooLarge, ResponseMode::Json),
            http::StatusCode::PAYLOAD_TOO_LARGE
        );
    }

    #[test]
    fn a_request_error_is_never_2xx_for_the_graphql_response_media_type() {
        use ErrorCode::*;
        let all = [
            InvalidRequest,
            PayloadTooLarge,
            UnsupportedMediaType,
            NotAcceptable,
            MethodNotAllowed,
            ParseFailed,
            ValidationFailed,
            OperationNotFound,
            BadUserInput,
            MaxDepthExceeded,
            MaxAliasesExceeded,
            MaxRootFieldsExceeded,
            MaxFieldsExceeded,
            CostEstimatedTooExpensive,
            RequestHeadersTooLarge,
            MaxTokensExceeded,
            PersistedQueryNotSupported,
            IntrospectionDisabled,
            SubscriptionNotSupported,
            QueryPlanningFailed,
            SubgraphRequestFailed,
            SubgraphTimeout,
            SubgraphHttpError,
            SubgraphInvalidResponse,
            InternalServerError,
        ];
        for code in all {
            let status = http_status(code, ResponseMode::GraphQLResponseJson);
            assert!(
                status.is_client_error() || status.is_server_error(),
                "{code:?}: {status}"
            );
        }
    }

    #[test]
    fn errors_serialize_in_graphql_shape() {
        let error = GraphQLError::new("boom", ErrorCode::SubgraphTimeout)
            .with_path(vec![PathSegment::Key("me".into()), PathSegment::Index(0)]);
        let json = serde_json::to_value(&error).expect("serializable");
        assert_eq!(
            json,
            serde_json::json!({"message": "boom", "path": ["me", 0], "extensions": {"code": "SUBGRAPH_TIMEOUT"}})
        );
    }
}
