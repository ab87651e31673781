//! Tessera's own query plan: what the executor walks.
//!
//! The planner's output is lowered into these types once per cached plan
//! (see [`super::lower`]); everything that does not depend on the request is
//! computed there: each fetch's request-body prefix, the response keys of a
//! root fetch, the `requires` selections as plain trees, flatten paths and
//! rewrites. The types serialize (for `extensions.queryPlan` and the shared
//! plan cache) and print (`extensions.queryPlanText`).

use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};

/// A lowered plan; `node` is `None` when no subgraph needs to be called
/// (an operation on `__typename` or introspection only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename = "QueryPlan")]
pub struct QueryPlan {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<PlanNode>,
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum PlanNode {
    /// A fetch at the operation's root, merged into the response root.
    Fetch(Box<Fetch>),
    /// An `_entities` fetch for the objects found at `path`.
    #[serde(rename = "Flatten")]
    Entities(Box<EntityFetch>),
    /// One `_entities` call per alias, in one request to one subgraph.
    BatchFetch(Box<BatchFetch>),
    Sequence {
        nodes: Vec<PlanNode>,
    },
    Parallel {
        nodes: Vec<PlanNode>,
    },
    /// `@skip` / `@include` on a variable, decided per request.
    Condition(Box<Condition>),
    /// A plan node Tessera does not execute (subscriptions, `@defer`).
    Unsupported {
        what: String,
    },
}

/// A subgraph operation with its request-body prefix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubgraphOperation {
    pub service_name: String,
    /// The operation text sent to the subgraph.
    pub operation: String,
    /// The client variables the operation uses, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variable_usages: Vec<String>,
    /// `{"query":<operation>,"variables":{`: every request body starts so.
    #[serde(skip)]
    pub body_prefix: String,
}

impl SubgraphOperation {
    pub fn new(service_name: String, operation: String, variable_usages: Vec<String>) -> Self {
        let mut body_prefix = String::with_capacity(operation.len() + 32);
        body_prefix.push_str("{\"query\":");
        // A `String` always serializes.
        body_prefix.push_str(&serde_json::to_string(&operation).unwrap_or_default());
        body_prefix.push_str(",\"variables\":{");
        SubgraphOperation {
            service_name,
            operation,
            variable_usages,
            body_prefix,
        }
    }

    /// Recomputes the body prefix after deserializing.
    fn restore(&mut self) {
        *self = SubgraphOperation::new(
            std::mem::take(&mut self.service_name),
            std::mem::take(&mut self.operation),
            std::mem::take(&mut self.variable_usages),
        );
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fetch {
    #[serde(flatten)]
    pub operation: SubgraphOperation,
    /// The response keys of the root fields fetched (where errors go when the
    /// whole fetch fails).
    pub root_keys: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_rewrites: Vec<Rewrite>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityFetch {
    pub path: Vec<FlattenSegment>,
    #[serde(flatten)]
    pub operation: SubgraphOperation,
    pub requires: Vec<Selection>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input_rewrites: Vec<Rewrite>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_rewrites: Vec<Rewrite>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchFetch {
    #[serde(flatten)]
    pub operation: SubgraphOperation,
    pub aliases: Vec<BatchAlias>,
}

/// One alias of a batch: `alias: _entities(representations: $variable)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchAlias {
    pub alias: String,
    pub representations_variable: String,
    pub paths: Vec<Vec<FlattenSegment>>,
    pub requires: Vec<Selection>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input_rewrites: Vec<Rewrite>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_rewrites: Vec<Rewrite>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    pub variable: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_true: Option<PlanNode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_false: Option<PlanNode>,
}

/// A step of a flatten path from the response root to entities.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FlattenSegment {
    /// An object field, by response key.
    Field(String),
    /// Every item of a list.
    #[serde(rename = "@")]
    List,
    /// Only objects whose `__typename` is one of (or implements) these.
    TypeCondition(Vec<String>),
}

/// A selection in a `requires` set (what a representation holds). Per the
/// planner's convention a field's `name` is its key in the response and its
/// `alias` (if any) its key in the representation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Selection {
    Field {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alias: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        selections: Vec<Selection>,
    },
    InlineFragment {
        type_condition: String,
        selections: Vec<Selection>,
    },
}

impl Selection {
    /// A leaf field (tests and lowering).
    pub fn field(name: &str) -> Self {
        Selection::Field {
            name: name.to_string(),
            alias: None,
            selections: Vec::new(),
        }
    }
}

/// A rewrite of a representation (input) or of an entity result (output).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rewrite {
    /// Sets the value at `path` to the string `value`.
    SetValue {
        path: Vec<RewriteStep>,
        value: String,
    },
    /// Renames the key at the end of `path` to `to`.
    RenameKey { path: Vec<RewriteStep>, to: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RewriteStep {
    Key(String),
    /// Only objects whose `__typename` is one of (or implements) these.
    TypenameIs(Vec<String>),
}

impl QueryPlan {
    /// Reads a plan serialized with [`serde_json`] (the shared plan cache) and
    /// recomputes what serialization leaves out.
    pub fn from_json(bytes: &[u8]) -> Result<QueryPlan, serde_json::Error> {
        let mut plan: QueryPlan = serde_json::from_slice(bytes)?;
        if let Some(node) = plan.node.as_mut() {
            node.for_each_operation(&mut SubgraphOperation::restore);
        }
        Ok(plan)
    }

    /// How many subgraph requests the plan makes at most.
    pub fn fetch_count(&self) -> usize {
        fn count(node: &PlanNode) -> usize {
            match node {
                PlanNode::Fetch(_) | PlanNode::Entities(_) | PlanNode::BatchFetch(_) => 1,
                PlanNode::Sequence { nodes } | PlanNode::Parallel { nodes } => {
                    nodes.iter().map(count).sum()
                }
                PlanNode::Condition(c) => {
                    c.if_true.as_ref().map_or(0, count) + c.if_false.as_ref().map_or(0, count)
                }
                PlanNode::Unsupported { .. } => 0,
            }
        }
        self.node.as_ref().map_or(0, count)
    }
}

impl PlanNode {
    fn for_each_operation(&mut self, visit: &mut dyn FnMut(&mut SubgraphOperation)) {
        match self {
            PlanNode::Fetch(fetch) => visit(&mut fetch.operation),
            PlanNode::Entities(fetch) => visit(&mut fetch.operation),
            PlanNode::BatchFetch(batch) => visit(&mut batch.operation),
            PlanNode::Sequence { nodes } | PlanNode::Parallel { nodes } => {
                nodes.iter_mut().for_each(|n| n.for_each_operation(visit))
            }
            PlanNode::Condition(condition) => {
                for branch in [&mut condition.if_true, &mut condition.if_false]
                    .into_iter()
                    .flatten()
                {
                    branch.for_each_operation(visit);
                }
            }
            PlanNode::Unsupported { .. } => {}
        }
    }
}

// Printing ---------------------------------------------------------------

impl fmt::Display for QueryPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::from("QueryPlan {\n");
        if let Some(node) = &self.node {
            print_node(node, 1, &mut out);
        }
        out.push('}');
        f.write_str(&out)
    }
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn print_node(node: &PlanNode, depth: usize, out: &mut String) {
    indent(out, depth);
    match node {
        PlanNode::Fetch(fetch) => {
            let _ = writeln!(out, "Fetch(service: {:?}) {{", fetch.operation.service_name);
            print_operation(&fetch.operation, &fetch.output_rewrites, depth + 1, out);
        }
        PlanNode::Entities(fetch) => {
            let _ = writeln!(
                out,
                "Flatten(path: {:?}, service: {:?}) {{",
                print_path(&fetch.path),
                fetch.operation.service_name
            );
            print_requires(&fetch.requires, depth + 1, out);
            print_operation(&fetch.operation, &fetch.output_rewrites, depth + 1, out);
        }
        PlanNode::BatchFetch(batch) => {
            let _ = writeln!(
                out,
                "BatchFetch(service: {:?}) {{",
                batch.operation.service_name
            );
            for alias in &batch.aliases {
                indent(out, depth + 1);
                let paths: Vec<String> = alias.paths.iter().map(|p| print_path(p)).collect();
                let _ = writeln!(
                    out,
                    "{}: ${} at {}",
                    alias.alias,
                    alias.representations_variable,
                    paths.join(", ")
                );
                print_requires(&alias.requires, depth + 2, out);
            }
            print_operation(&batch.operation, &[], depth + 1, out);
        }
        PlanNode::Sequence { nodes } | PlanNode::Parallel { nodes } => {
            out.push_str(if matches!(node, PlanNode::Sequence { .. }) {
                "Sequence {\n"
            } else {
                "Parallel {\n"
            });
            for child in nodes {
                print_node(child, depth + 1, out);
            }
        }
        PlanNode::Condition(condition) => {
            let _ = writeln!(out, "Include(if: ${}) {{", condition.variable);
            if let Some(branch) = &condition.if_true {
                print_node(branch, depth + 1, out);
            }
            if let Some(branch) = &condition.if_false {
                indent(out, depth);
                out.push_str("} else {\n");
                print_node(branch, depth + 1, out);
            }
        }
        PlanNode::Unsupported { what } => {
            let _ = writeln!(out, "Unsupported({what}) {{");
        }
    }
    indent(out, depth);
    out.push_str("},\n");
}

fn print_path(path: &[FlattenSegment]) -> String {
    let mut out = String::new();
    for (i, segment) in path.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        match segment {
            FlattenSegment::Field(name) => out.push_str(name),
            FlattenSegment::List => out.push('@'),
            FlattenSegment::TypeCondition(names) => {
                let _ = write!(out, "|[{}]", names.join("|"));
            }
        }
    }
    out
}

fn print_requires(requires: &[Selection], depth: usize, out: &mut String) {
    indent(out, depth);
    out.push_str("requires: ");
    print_selections(requires, out);
    out.push('\n');
}

fn print_selections(selections: &[Selection], out: &mut String) {
    out.push('{');
    for selection in selections {
        out.push(' ');
        match selection {
            Selection::Field {
                name,
                alias,
                selections,
            } => {
                if let Some(alias) = alias {
                    let _ = write!(out, "{alias}: ");
                }
                out.push_str(name);
                if !selections.is_empty() {
                    out.push(' ');
                    print_selections(selections, out);
                }
            }
            Selection::InlineFragment {
                type_condition,
                selections,
            } => {
                let _ = write!(out, "... on {type_condition} ");
                print_selections(selections, out);
            }
        }
    }
    out.push_str(" }");
}

fn print_operation(
    operation: &SubgraphOperation,
    rewrites: &[Rewrite],
    depth: usize,
    out: &mut String,
) {
    indent(out, depth);
    out.push_str(&operation.operation);
    out.push('\n');
    if !rewrites.is_empty() {
        indent(out, depth);
        let _ = writeln!(out, "output rewrites: {rewrites:?}");
    }
}
