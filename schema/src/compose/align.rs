//! Cross-subgraph fix-ups before graphql-composition sees the subgraphs.
//!
//! An enum value that one subgraph marks `@inaccessible` and another does not
//! define: Federation composition accepts it (an inaccessible value is exempt
//! from the rule that an enum used for input and output has the same values
//! everywhere; see the composition docs, "Enums"), graphql-composition
//! refuses it (`ENUM_VALUE_MISMATCH`). Each subgraph lacking the value gets
//! it, `@inaccessible`, so the composer agrees; normalization then removes
//! the `@join__enumValue` of those subgraphs again, so the supergraph says
//! exactly which subgraphs know the value.

use std::collections::{BTreeMap, BTreeSet};

use apollo_compiler::ast::{Definition, Directive, Document, EnumValueDefinition};
use apollo_compiler::{Name, Node};

use super::prepare::{FederationNames, Prepared};

/// Adds every `@inaccessible` enum value to the subgraphs whose definition
/// of that enum lacks it (recorded in `Prepared::added_enum_values`).
pub(crate) fn inaccessible_enum_values(prepared: &mut [Prepared]) {
    // (enum, value) marked @inaccessible in some subgraph.
    let mut hidden: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut docs: Vec<Option<(Document, FederationNames)>> = Vec::new();
    for p in prepared.iter() {
        let Ok(doc) = Document::parse(p.sdl.as_str(), format!("{}.graphql", p.name)) else {
            docs.push(None);
            continue;
        };
        let fed = FederationNames::from_document(&doc);
        let inaccessible = fed.local("inaccessible");
        for definition in &doc.definitions {
            let values = match definition {
                Definition::EnumTypeDefinition(e) => Some((&e.name, &e.values)),
                Definition::EnumTypeExtension(e) => Some((&e.name, &e.values)),
                _ => None,
            };
            if let Some((name, values)) = values {
                for value in values {
                    if value.directives.get(&inaccessible).is_some() {
                        hidden
                            .entry(name.to_string())
                            .or_default()
                            .insert(value.value.to_string());
                    }
                }
            }
        }
        docs.push(Some((doc, fed)));
    }
    if hidden.is_empty() {
        return;
    }
    for (p, parsed) in prepared.iter_mut().zip(docs) {
        let Some((mut doc, fed)) = parsed else {
            continue;
        };
        if !fed.is_federation_2() {
            continue;
        }
        let Ok(inaccessible) = Name::new(&fed.local("inaccessible")) else {
            continue;
        };
        let mut added = Vec::new();
        for definition in &mut doc.definitions {
            let Definition::EnumTypeDefinition(e) = definition else {
                continue;
            };
            let Some(values) = hidden.get(e.name.as_str()) else {
                continue;
            };
            let missing: Vec<&String> = values
                .iter()
                .filter(|v| !e.values.iter().any(|d| d.value.as_str() == v.as_str()))
                .collect();
            if missing.is_empty() {
                continue;
            }
            let e = e.make_mut();
            for value in missing {
                let Ok(value_name) = Name::new(value) else {
                    continue;
                };
                e.values.push(Node::new(EnumValueDefinition {
                    description: None,
                    value: value_name,
                    directives: apollo_compiler::ast::DirectiveList(vec![Node::new(Directive {
                        name: inaccessible.clone(),
                        arguments: Vec::new(),
                    })]),
                }));
                added.push((e.name.to_string(), value.clone()));
            }
        }
        if !added.is_empty() {
            p.sdl = doc.to_string();
            p.added_enum_values = added;
        }
    }
}
