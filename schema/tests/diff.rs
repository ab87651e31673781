//! Data-driven diff tests: `tests/fixtures/diff/<case>/{old,new}.graphql` → the report in
//! `report.expected` (one change per line, `criticality RULE path: message`).
//!
//! Rewrite the expectations with `UPDATE_EXPECT=1 cargo test -p tessera-schema --test diff`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use tessera_schema::{ChangeKind, Criticality, diff_sdl};

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn diff_fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diff");
    let mut cases: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("fixtures dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 20, "fixtures missing");
    let mut failures = Vec::new();
    for case in &cases {
        let old = read(&case.join("old.graphql"));
        let new = read(&case.join("new.graphql"));
        let changes = match diff_sdl(&old, &new) {
            Ok(c) => c,
            Err(e) => {
                failures.push(format!("{}: {e}", case.display()));
                continue;
            }
        };
        let report: String = changes.iter().map(|c| format!("{c}\n")).collect();
        common::check_expect(&case.join("report.expected"), &report, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The classifications the checks rely on, stated directly (independent of the golden
/// files, so accepting a wrong golden file cannot hide a regression).
#[test]
fn key_classifications() {
    let cases = [
        (
            "type Query { a: Int b: Int }",
            "type Query { a: Int }",
            ChangeKind::FieldRemoved,
            Criticality::Breaking,
        ),
        (
            "type Query { a: Int }",
            "type Query { a: Int b: Int }",
            ChangeKind::FieldAdded,
            Criticality::Safe,
        ),
        (
            "type Query { a(x: Int): Int }",
            "type Query { a(x: Int, y: Int!): Int }",
            ChangeKind::FieldArgumentAdded,
            Criticality::Breaking,
        ),
        (
            "type Query { a(x: Int): Int }",
            "type Query { a(x: Int, y: Int): Int }",
            ChangeKind::FieldArgumentAdded,
            Criticality::Dangerous,
        ),
        (
            "type Query { a(x: Int): Int }",
            "type Query { a: Int }",
            ChangeKind::FieldArgumentRemoved,
            Criticality::Breaking,
        ),
        (
            "type Query { s: S } enum S { A B }",
            "type Query { s: S } enum S { A }",
            ChangeKind::EnumValueRemoved,
            Criticality::Breaking,
        ),
        (
            "type Query { s: S } enum S { A }",
            "type Query { s: S } enum S { A B }",
            ChangeKind::EnumValueAdded,
            Criticality::Dangerous,
        ),
        (
            "type Query { a(i: I): Int } input I { x: Int }",
            "type Query { a(i: I): Int } input I { x: Int y: Int! }",
            ChangeKind::InputFieldAdded,
            Criticality::Breaking,
        ),
        (
            "type Query { a(i: I): Int } input I { x: Int }",
            "type Query { a(i: I): Int } input I { x: Int! }",
            ChangeKind::InputFieldTypeChanged,
            Criticality::Breaking,
        ),
        (
            "type Query { a(i: I): Int } input I { x: Int = 1 }",
            "type Query { a(i: I): Int } input I { x: Int = 2 }",
            ChangeKind::InputFieldDefaultValueChanged,
            Criticality::Dangerous,
        ),
        (
            "type Query { a: Int }",
            "type Query { a: Int @deprecated }",
            ChangeKind::FieldDeprecationAdded,
            Criticality::Safe,
        ),
        (
            "type Query { a: Int }",
            "type Query { a: String }",
            ChangeKind::FieldTypeChanged,
            Criticality::Breaking,
        ),
        (
            "type Query { a: Int }",
            "type Query { a: Int! }",
            ChangeKind::FieldTypeChanged,
            Criticality::Safe,
        ),
        (
            "type Query { u: U } union U = A | B type A { a: Int } type B { b: Int }",
            "type Query { u: U } union U = A type A { a: Int } type B { b: Int }",
            ChangeKind::UnionMemberRemoved,
            Criticality::Breaking,
        ),
        (
            "type Query { t: T } type T { x: Int }",
            "type Query { t: T } interface T { x: Int }",
            ChangeKind::TypeKindChanged,
            Criticality::Breaking,
        ),
        (
            "interface I { id: ID } type Query { o: O } type O implements I { id: ID }",
            "interface I { id: ID } type Query { o: O } type O { id: ID }",
            ChangeKind::ObjectTypeInterfaceRemoved,
            Criticality::Breaking,
        ),
    ];
    for (old, new, kind, criticality) in cases {
        let changes = diff_sdl(old, new).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            changes
                .iter()
                .any(|c| c.kind == kind && c.criticality == criticality),
            "expected {kind} ({criticality}) for\n  {old}\n→ {new}\ngot {changes:#?}"
        );
    }
}

#[test]
fn invalid_schemas_are_errors_not_panics() {
    assert!(diff_sdl("type Query {", "type Query { a: Int }").is_err());
    assert!(diff_sdl("type Query { a: Int }", "type Query { a: Nope }").is_err());
}
