//! Composition: Federation v2 subgraph SDLs → a standard supergraph SDL.
//!
//! The merge itself is done by [`graphql_composition`] (MPL-2.0, used unmodified). Around
//! it this module adds what standard consumers (apollo-compiler, hive-router's query
//! planner, [`crate::Supergraph::parse`]) need:
//!
//! 1. **Before** ([`prepare`]): each subgraph SDL is parsed, checked for the rules
//!    graphql-composition does not enforce (`@override` on an `@external` field,
//!    `@override(from:)` naming an unknown subgraph) and `@inaccessible` is propagated
//!    explicitly to children of inaccessible elements whose type is inaccessible (the
//!    inaccessible spec v0.2 treats them as inaccessible already; graphql-composition
//!    requires them marked).
//! 2. **After** ([`normalize`]): the output is rewritten into the standard format: link
//!    v1.0 + join v0.3 (v0.4 when `@override(label:)` is used), spec definitions declared
//!    exactly as the specs do (`repeatable` join directives, `@link`, `@tag`,
//!    `@inaccessible`, and `@authenticated`/`@requiresScopes`/`@policy` when used), and a
//!    `@join__type(graph:)` on every root type for each subgraph that defines fields on it.
//!    The result is then loaded with [`crate::Supergraph::parse`]; a supergraph that fails
//!    to load is reported as an error, never returned.
//!
//! Every diagnostic is mapped to a [`CompositionDiagnostic`] naming the subgraphs, the
//! schema coordinate and a stable [`CompositionRule`] code; all diagnostics are
//! collected rather than stopping at the first.

mod align;
mod context;
mod diagnostics;
mod hints;
mod normalize;
mod prepare;
mod satisfiability;

use std::fmt;

pub use diagnostics::{CompositionDiagnostic, CompositionRule, Severity};

/// One subgraph to compose: its name, routing URL and SDL (as `_service { sdl }` returns it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubgraphSdl {
    /// Subgraph name, e.g. `users` (becomes `@join__graph(name:)`).
    pub name: String,
    /// Routing URL (becomes `@join__graph(url:)`).
    pub url: String,
    /// The subgraph's SDL.
    pub sdl: String,
}

impl SubgraphSdl {
    /// Convenience constructor.
    pub fn new(name: impl Into<String>, url: impl Into<String>, sdl: impl Into<String>) -> Self {
        SubgraphSdl {
            name: name.into(),
            url: url.into(),
            sdl: sdl.into(),
        }
    }
}

/// A successful composition.
#[derive(Debug, Clone)]
pub struct Composed {
    /// The standard Federation v2 supergraph SDL.
    pub supergraph_sdl: String,
    /// Non-fatal diagnostics (warnings).
    pub warnings: Vec<CompositionDiagnostic>,
}

/// A failed composition: every diagnostic collected (errors first, then warnings).
#[derive(Debug, Clone, thiserror::Error)]
pub struct CompositionErrors {
    /// All diagnostics; at least one has [`Severity::Error`].
    pub diagnostics: Vec<CompositionDiagnostic>,
}

impl CompositionErrors {
    /// Only the errors.
    pub fn errors(&self) -> impl Iterator<Item = &CompositionDiagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }
}

impl fmt::Display for CompositionErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.errors().count();
        write!(f, "composition failed with {count} error(s)")?;
        for diagnostic in &self.diagnostics {
            write!(f, "\n  {diagnostic}")?;
        }
        Ok(())
    }
}

/// Composes subgraphs into a standard Federation v2 supergraph SDL.
///
/// Subgraph order does not matter for the result's content; `join__Graph` lists the
/// subgraphs in the order given.
pub fn compose(subgraphs: &[SubgraphSdl]) -> Result<Composed, CompositionErrors> {
    let mut diagnostics = Vec::new();
    if subgraphs.is_empty() {
        diagnostics.push(CompositionDiagnostic::error(
            CompositionRule::NoSubgraphs,
            Vec::new(),
            None,
            "no subgraphs to compose",
        ));
        return Err(CompositionErrors { diagnostics });
    }

    let names: Vec<String> = subgraphs.iter().map(|s| s.name.clone()).collect();
    let mut prepared = Vec::with_capacity(subgraphs.len());
    for subgraph in subgraphs {
        match prepare::prepare(subgraph, &names) {
            Ok(p) => {
                diagnostics.extend(p.diagnostics.iter().cloned());
                prepared.push(p);
            }
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }

    align::inaccessible_enum_values(&mut prepared);
    diagnostics.extend(align::value_types_of_entities(&mut prepared));
    align::widen_subtyped_fields(&mut prepared);
    align::directive_argument_defaults(&mut prepared);
    diagnostics.extend(align::provided_field_sharing(&prepared));
    diagnostics.extend(align::hints(&prepared));
    diagnostics.extend(hints::shape_and_override_hints(&prepared));
    diagnostics.extend(align::partial_defaults(&mut prepared));
    let mut ingest = graphql_composition::Subgraphs::default();
    for (subgraph, p) in subgraphs
        .iter()
        .filter_map(|s| prepared.iter().find(|p| p.name == s.name).map(|p| (s, p)))
    {
        if let Err(error) = ingest.ingest_str(&p.sdl, &subgraph.name, Some(&subgraph.url)) {
            diagnostics.push(CompositionDiagnostic::error(
                CompositionRule::InvalidGraphql,
                vec![subgraph.name.clone()],
                None,
                format!("[{}] {error:#}", subgraph.name),
            ));
        }
    }
    // A subgraph that does not parse cannot be composed; other errors found so far are
    // reported together with the composer's.
    if prepared.len() < subgraphs.len()
        || diagnostics
            .iter()
            .any(|d| d.rule == CompositionRule::InvalidGraphql)
    {
        return Err(failure(diagnostics));
    }

    let result = graphql_composition::compose(&mut ingest);
    for diagnostic in result.diagnostics().iter() {
        diagnostics.push(diagnostics::classify(diagnostic, &names));
    }
    let graph = match result.into_result() {
        Ok(graph) => graph,
        Err(_) => return Err(failure(diagnostics)),
    };
    let raw = match graphql_composition::render_federated_sdl(&graph) {
        Ok(raw) => raw,
        Err(error) => {
            diagnostics.push(CompositionDiagnostic::error(
                CompositionRule::InvalidSupergraph,
                Vec::new(),
                None,
                format!("cannot render the composed supergraph: {error}"),
            ));
            return Err(failure(diagnostics));
        }
    };

    match normalize::normalize(&raw, &prepared) {
        Ok(supergraph_sdl) => {
            // Never hand out a supergraph our own loader would reject.
            let loaded = crate::Supergraph::parse(&supergraph_sdl)
                .map_err(|e| e.to_string())
                .and_then(|sg| {
                    crate::api_schema(&sg)
                        .map(|_| sg)
                        .map_err(|e| e.to_string())
                });
            // Like Federation, satisfiability is validated on a supergraph that
            // merged without errors (an error found earlier usually explains the
            // unsatisfiable fields too).
            if let Ok(supergraph) = &loaded
                && !diagnostics.iter().any(CompositionDiagnostic::is_error)
            {
                diagnostics.extend(satisfiability::validate(supergraph.schema()));
            }
            if let Err(message) = loaded {
                diagnostics.push(CompositionDiagnostic::error(
                    CompositionRule::InvalidSupergraph,
                    Vec::new(),
                    None,
                    format!("the composed supergraph does not load: {message}"),
                ));
            }
            if diagnostics.iter().any(CompositionDiagnostic::is_error) {
                return Err(failure(diagnostics));
            }
            Ok(Composed {
                supergraph_sdl,
                warnings: diagnostics,
            })
        }
        Err(message) => {
            diagnostics.push(CompositionDiagnostic::error(
                CompositionRule::InvalidSupergraph,
                Vec::new(),
                None,
                message,
            ));
            Err(failure(diagnostics))
        }
    }
}

fn failure(mut diagnostics: Vec<CompositionDiagnostic>) -> CompositionErrors {
    // Errors first, stable within each severity.
    diagnostics.sort_by_key(|d| d.severity);
    CompositionErrors { diagnostics }
}
