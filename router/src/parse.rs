//! Parsing a GraphQL document under token and nesting limits.
//!
//! The parser (apollo-parser) is recursive descent with a recursion limit: a document
//! nested deeper than the limit is rejected without exhausting the stack.

use apollo_compiler::ast;
use apollo_compiler::parser::Parser;

use crate::config::LimitsConfig;
use crate::error::{ErrorCode, GraphQLError, Location, RequestError};

/// Why a document could not be parsed.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("syntax error")]
    Syntax(Vec<GraphQLError>),
    #[error("document nested too deeply")]
    TooDeep,
    #[error("document has too many tokens")]
    TooManyTokens,
}

impl From<ParseError> for RequestError {
    fn from(error: ParseError) -> Self {
        match error {
            ParseError::Syntax(errors) => RequestError::with_errors(ErrorCode::ParseFailed, errors),
            ParseError::TooDeep => RequestError::new(
                ErrorCode::MaxDepthExceeded,
                "the operation is nested more deeply than allowed",
            ),
            ParseError::TooManyTokens => RequestError::new(
                ErrorCode::MaxTokensExceeded,
                "the operation has more tokens than allowed",
            ),
        }
    }
}

/// The parser's recursion limit for a depth limit: each field level costs the
/// parser about two levels (selection set + field), plus some headroom for
/// nested input values and fragments.
pub fn recursion_limit(limits: &LimitsConfig) -> usize {
    limits.max_depth.saturating_mul(2).saturating_add(32)
}

/// Parses `source` into an AST, enforcing `max_tokens` and (roughly) `max_depth`;
/// the exact depth is checked after validation.
pub fn parse(source: &str, limits: &LimitsConfig) -> Result<ast::Document, ParseError> {
    let recursion = recursion_limit(limits);
    let mut parser = Parser::new()
        .recursion_limit(recursion)
        .token_limit(limits.max_tokens);
    let result = parser.parse_ast(source, "operation.graphql");
    match result {
        Ok(document) => Ok(document),
        Err(with_errors) => {
            if parser.recursion_reached() >= recursion {
                return Err(ParseError::TooDeep);
            }
            if parser.tokens_reached() >= limits.max_tokens {
                return Err(ParseError::TooManyTokens);
            }
            let errors = with_errors
                .errors
                .iter()
                .map(|diagnostic| {
                    let locations = diagnostic
                        .line_column_range()
                        .map(|range| {
                            vec![Location {
                                line: range.start.line,
                                column: range.start.column,
                            }]
                        })
                        .unwrap_or_default();
                    GraphQLError::new(diagnostic.error.to_string(), ErrorCode::ParseFailed)
                        .with_locations(locations)
                })
                .collect();
            Err(ParseError::Syntax(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        let mut query = String::new();
        for _ in 0..depth {
            query.push_str("{ a ");
        }
        for _ in 0..depth {
            query.push('}');
        }
        query
    }

    #[test]
    fn parses_a_query_at_the_depth_limit() {
        let limits = LimitsConfig::default();
        parse(&nested(limits.max_depth), &limits).expect("at the limit parses");
    }

    #[test]
    fn rejects_very_deep_documents_without_overflowing_the_stack() {
        let limits = LimitsConfig::default();
        let err = parse(&nested(100_000), &limits).expect_err("too deep");
        assert!(matches!(
            err,
            ParseError::TooDeep | ParseError::TooManyTokens
        ));
        let err = parse(&nested(1_000), &limits).expect_err("too deep");
        assert!(matches!(err, ParseError::TooDeep), "{err:?}");
    }

    #[test]
    fn rejects_syntax_errors_and_token_floods() {
        let limits = LimitsConfig::default();
        let err = parse("{ a ", &limits).expect_err("syntax");
        let ParseError::Syntax(errors) = err else {
            panic!("expected a syntax error");
        };
        assert!(!errors.is_empty());
        assert!(!errors[0].locations.is_empty());
        let flood = format!("{{ {} }}", "a ".repeat(limits.max_tokens + 10));
        let err = parse(&flood, &limits).expect_err("too many tokens");
        assert!(matches!(err, ParseError::TooManyTokens), "{err:?}");
    }
}
