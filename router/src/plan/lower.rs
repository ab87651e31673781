//! Lowering: the planner's plan into Tessera's own [`QueryPlan`], once per
//! cached plan. The planner's types end here.

use hive_router_query_planner::ast::operation::SubgraphFetchOperation;
use hive_router_query_planner::ast::selection_item::SelectionItem;
use hive_router_query_planner::ast::selection_set::SelectionSet;
use hive_router_query_planner::planner::plan_nodes as hive;

use super::nodes::{
    BatchAlias, BatchFetch, Condition, EntityFetch, Fetch, FlattenSegment, PlanNode, QueryPlan,
    Rewrite, RewriteStep, Selection, SubgraphOperation,
};

pub(super) fn lower(plan: &hive::QueryPlan) -> QueryPlan {
    QueryPlan {
        node: plan.node.as_ref().map(node),
    }
}

fn node(node: &hive::PlanNode) -> PlanNode {
    match node {
        hive::PlanNode::Fetch(fetch) => PlanNode::Fetch(Box::new(Fetch {
            operation: operation(
                &fetch.service_name,
                &fetch.operation,
                fetch.variable_usages.as_ref(),
            ),
            root_keys: root_keys(&fetch.operation.document.operation.selection_set),
            output_rewrites: rewrites(fetch.output_rewrites.as_deref()),
        })),
        hive::PlanNode::Flatten(flatten) => match flatten.node.as_ref() {
            hive::PlanNode::Fetch(fetch) => match &fetch.requires {
                Some(requires) => PlanNode::Entities(Box::new(EntityFetch {
                    path: path(flatten.path.as_slice()),
                    operation: operation(
                        &fetch.service_name,
                        &fetch.operation,
                        fetch.variable_usages.as_ref(),
                    ),
                    requires: selections(requires),
                    input_rewrites: rewrites(fetch.input_rewrites.as_deref()),
                    output_rewrites: rewrites(fetch.output_rewrites.as_deref()),
                })),
                // An entity fetch needs representations: without `requires`
                // there is nothing to send (never produced by the planner).
                None => PlanNode::Sequence { nodes: Vec::new() },
            },
            other => self::node(other),
        },
        hive::PlanNode::BatchFetch(batch) => PlanNode::BatchFetch(Box::new(BatchFetch {
            operation: operation(
                &batch.service_name,
                &batch.operation,
                batch.variable_usages.as_ref(),
            ),
            aliases: batch
                .entity_batch
                .aliases
                .iter()
                .map(|alias| BatchAlias {
                    alias: alias.alias.clone(),
                    representations_variable: alias.representations_variable_name.clone(),
                    paths: alias
                        .merge_paths
                        .iter()
                        .map(|p| path(p.as_slice()))
                        .collect(),
                    requires: selections(&alias.requires),
                    input_rewrites: rewrites(alias.input_rewrites.as_deref()),
                    output_rewrites: rewrites(alias.output_rewrites.as_deref()),
                })
                .collect(),
        })),
        hive::PlanNode::Sequence(sequence) => PlanNode::Sequence {
            nodes: sequence.nodes.iter().map(self::node).collect(),
        },
        hive::PlanNode::Parallel(parallel) => PlanNode::Parallel {
            nodes: parallel.nodes.iter().map(self::node).collect(),
        },
        hive::PlanNode::Condition(condition) => PlanNode::Condition(Box::new(Condition {
            variable: condition.condition.clone(),
            if_true: condition.if_clause.as_deref().map(self::node),
            if_false: condition.else_clause.as_deref().map(self::node),
        })),
        hive::PlanNode::Subscription(_) => PlanNode::Unsupported {
            what: "subscription".into(),
        },
        hive::PlanNode::Defer(_) => PlanNode::Unsupported {
            what: "@defer".into(),
        },
    }
}

fn operation(
    service: &str,
    operation: &SubgraphFetchOperation,
    usages: Option<&std::collections::BTreeSet<String>>,
) -> SubgraphOperation {
    SubgraphOperation::new(
        service.to_string(),
        operation.document_str.clone(),
        usages.into_iter().flatten().cloned().collect(),
    )
}

fn root_keys(selection_set: &SelectionSet) -> Vec<String> {
    selection_set
        .items
        .iter()
        .filter_map(|item| match item {
            SelectionItem::Field(f) => Some(f.alias.clone().unwrap_or_else(|| f.name.clone())),
            _ => None,
        })
        .collect()
}

fn path(segments: &[hive::FlattenNodePathSegment]) -> Vec<FlattenSegment> {
    segments
        .iter()
        .map(|segment| match segment {
            hive::FlattenNodePathSegment::Field(name) => FlattenSegment::Field(name.clone()),
            hive::FlattenNodePathSegment::List => FlattenSegment::List,
            hive::FlattenNodePathSegment::TypeCondition(names) => {
                FlattenSegment::TypeCondition(names.iter().cloned().collect())
            }
        })
        .collect()
}

/// A `requires` selection as a plain tree. Fragment spreads never occur in
/// `requires` (the planner inlines them); one would select nothing.
fn selections(set: &SelectionSet) -> Vec<Selection> {
    set.items
        .iter()
        .filter_map(|item| match item {
            SelectionItem::Field(field) => Some(Selection::Field {
                name: field.name.clone(),
                alias: field.alias.clone(),
                selections: selections(&field.selections),
            }),
            SelectionItem::InlineFragment(fragment) => Some(Selection::InlineFragment {
                type_condition: fragment.type_condition.clone(),
                selections: selections(&fragment.selections),
            }),
            SelectionItem::FragmentSpread(_) => None,
        })
        .collect()
}

fn rewrites(rewrites: Option<&[hive::FetchRewrite]>) -> Vec<Rewrite> {
    let steps = |path: &[hive::FetchNodePathSegment]| -> Vec<RewriteStep> {
        path.iter()
            .map(|step| match step {
                hive::FetchNodePathSegment::Key(key) => RewriteStep::Key(key.clone()),
                hive::FetchNodePathSegment::TypenameEquals(names) => {
                    RewriteStep::TypenameIs(names.iter().cloned().collect())
                }
            })
            .collect()
    };
    rewrites
        .unwrap_or_default()
        .iter()
        .map(|rewrite| match rewrite {
            hive::FetchRewrite::ValueSetter(setter) => Rewrite::SetValue {
                path: steps(&setter.path),
                value: setter.set_value_to.clone(),
            },
            hive::FetchRewrite::KeyRenamer(renamer) => Rewrite::RenameKey {
                path: steps(&renamer.path),
                to: renamer.rename_key_to.clone(),
            },
        })
        .collect()
}
