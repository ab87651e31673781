//! The federation scenarios under `router/tests/scenarios/<suite>/`, as data:
//! each suite's subgraphs (`<name>.graphql` + `<name>.json`), an optional
//! hand-written supergraph (`supergraph.graphql`) and its operations with the
//! expected `data`, whether errors are expected, and the query plan
//! (`operations.txt`). Every suite is composed with the kit, every operation
//! run through the router and checked the audit's way (`data` exactly, errors
//! present or not); the plan text is compared too. `UPDATE_EXPECT=1` rewrites
//! the plans (only the plans); `SCENARIO=<substring>` runs the matching suites.
//! A suite with a `state.json` has tables its subgraphs share and change; its
//! cases run in file order from that state, reset per supergraph.
//! The format: `router/tests/scenarios/README.md`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::federation_kit::{self, Scenario, data};

/// Which supergraph a suite runs against.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Variant {
    /// Composed from the subgraphs' SDL by our composition.
    Composed,
    /// `supergraph.graphql`, written by hand (`Scenario::start`).
    Handwritten,
}

impl Variant {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Variant::Composed => "composed",
            Variant::Handwritten => "handwritten",
        }
    }
}

/// One `key:` section of a case: its lines in the file and its text.
#[derive(Debug)]
struct Section {
    name: String,
    /// `plan composed:` → `composed`.
    qualifier: Option<String>,
    /// Line range in the file, the `key:` line included.
    lines: std::ops::Range<usize>,
    text: String,
}

#[derive(Debug)]
struct Case {
    title: String,
    lines: std::ops::Range<usize>,
    sections: Vec<Section>,
}

impl Case {
    fn section(&self, name: &str, qualifier: Option<&str>) -> Option<&Section> {
        self.sections
            .iter()
            .find(|s| s.name == name && s.qualifier.as_deref() == qualifier)
    }
}

#[derive(Debug)]
struct Operations {
    lines: Vec<String>,
    /// Header lines (before the first case).
    header: std::ops::Range<usize>,
    supergraphs: Option<Vec<Variant>>,
    /// `status: 200` in the header: every case's expected HTTP status (a
    /// case's own `status:` wins).
    status: Option<u16>,
    cases: Vec<Case>,
}

const KEYS: &[&str] = &[
    "query",
    "variables",
    "data",
    "errors",
    "plan",
    "requests",
    "status",
    "repeat",
    "split",
    "order",
];

/// `key:` or `key qualifier:` at the start of a line, and the rest of it.
fn section_start(line: &str) -> Option<(String, Option<String>, String)> {
    let (head, rest) = line.split_once(':')?;
    let mut words = head.split(' ');
    let name = words.next()?;
    if !KEYS.contains(&name) {
        return None;
    }
    let qualifier = words.next().map(str::to_string);
    // Only `plan` takes a qualifier, a supergraph name (so that a query line
    // such as `query ($a: Int)` is not read as a section).
    let valid =
        |q: &str| name == "plan" && !q.is_empty() && q.chars().all(|c| c.is_ascii_alphanumeric());
    if words.next().is_some() || qualifier.as_deref().is_some_and(|q| !valid(q)) {
        return None;
    }
    Some((name.to_string(), qualifier, rest.trim().to_string()))
}

fn parse_operations(text: &str) -> Result<Operations, String> {
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let first_case = lines
        .iter()
        .position(|l| l.starts_with("=== "))
        .unwrap_or(lines.len());
    let mut supergraphs = None;
    let mut status = None;
    for line in &lines[..first_case] {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once(':') {
            Some(("supergraphs", list)) => {
                let variants = list
                    .split_whitespace()
                    .map(|v| match v {
                        "composed" => Ok(Variant::Composed),
                        "handwritten" => Ok(Variant::Handwritten),
                        other => Err(format!("unknown supergraph {other:?}")),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                supergraphs = Some(variants);
            }
            Some(("status", code)) => {
                status = Some(
                    code.trim()
                        .parse()
                        .map_err(|_| format!("status: {code:?} is not an HTTP status"))?,
                );
            }
            _ => return Err(format!("unknown header line {line:?}")),
        }
    }
    let mut cases = Vec::new();
    let mut i = first_case;
    while i < lines.len() {
        let title = lines[i]
            .strip_prefix("=== ")
            .ok_or_else(|| format!("line {}: expected `=== <case>`", i + 1))?
            .trim()
            .to_string();
        let start = i;
        i += 1;
        let mut sections: Vec<Section> = Vec::new();
        while i < lines.len() && !lines[i].starts_with("=== ") {
            match section_start(&lines[i]) {
                Some((name, qualifier, rest)) => sections.push(Section {
                    name,
                    qualifier,
                    lines: i..i + 1,
                    text: rest,
                }),
                None => match sections.last_mut() {
                    Some(section) => {
                        if !section.text.is_empty() || !lines[i].trim().is_empty() {
                            if !section.text.is_empty() {
                                section.text.push('\n');
                            }
                            section.text.push_str(&lines[i]);
                        }
                        section.lines.end = i + 1;
                    }
                    // Blank lines and `#` comments before the first section.
                    None if lines[i].trim().is_empty() || lines[i].starts_with('#') => {}
                    None => {
                        return Err(format!(
                            "line {}: text outside a section in case {title:?}",
                            i + 1
                        ));
                    }
                },
            }
            i += 1;
        }
        for section in &mut sections {
            section.text = section.text.trim_end().to_string();
        }
        cases.push(Case {
            title,
            lines: start..i,
            sections,
        });
    }
    Ok(Operations {
        lines,
        header: 0..first_case,
        supergraphs,
        status,
        cases,
    })
}

/// `ops` with the plans of `plans[case][variant]` written in (other text kept).
fn rewrite_plans(ops: &Operations, plans: &[Vec<(Option<&str>, String)>]) -> String {
    let mut out = String::new();
    for line in &ops.lines[ops.header.clone()] {
        out.push_str(line);
        out.push('\n');
    }
    for (case, plans) in ops.cases.iter().zip(plans) {
        let mut kept: Vec<&str> = Vec::new();
        for i in case.lines.clone() {
            let in_plan = case
                .sections
                .iter()
                .any(|s| s.name == "plan" && s.lines.contains(&i));
            if !in_plan {
                kept.push(&ops.lines[i]);
            }
        }
        while kept.last().is_some_and(|l| l.trim().is_empty()) {
            kept.pop();
        }
        for line in kept {
            out.push_str(line);
            out.push('\n');
        }
        for (qualifier, plan) in plans {
            match qualifier {
                Some(q) => writeln!(out, "plan {q}:").expect("string"),
                None => out.push_str("plan:\n"),
            }
            out.push_str(plan.trim_end());
            out.push('\n');
        }
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn normalize_plan(plan: &str) -> String {
    plan.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

/// The subgraphs of a suite: every `<name>.graphql` but `supergraph.graphql`,
/// with its `<name>.json` data.
/// A suite's subgraphs as files: `(name, federation SDL, data)`, by name.
pub(crate) fn subgraph_files(
    dir: &Path,
) -> Result<Vec<(String, String, data::SubgraphData)>, String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".graphql").map(str::to_string)
        })
        .filter(|n| n != "supergraph")
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let sdl = std::fs::read_to_string(dir.join(format!("{name}.graphql")))
            .map_err(|e| format!("{name}.graphql: {e}"))?;
        let data_path = dir.join(format!("{name}.json"));
        let data: data::SubgraphData = if data_path.exists() {
            let text = std::fs::read_to_string(&data_path).map_err(|e| e.to_string())?;
            serde_json::from_str(&text).map_err(|e| format!("{name}.json: {e}"))?
        } else {
            data::SubgraphData::default()
        };
        out.push((name, sdl, data));
    }
    Ok(out)
}

/// A suite's `state.json`, if it has one: table name → its initial rows
/// (objects).
pub(crate) fn state(dir: &Path) -> Result<Option<HashMap<String, Vec<Value>>>, String> {
    let path = dir.join("state.json");
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).map_err(|e| format!("state.json: {e}"))?;
    let tables: HashMap<String, Vec<Value>> = serde_json::from_str(&text)
        .map_err(|e| format!("state.json: {e} (table name → list of rows)"))?;
    if let Some((name, _)) = tables
        .iter()
        .find(|(_, rows)| rows.iter().any(|r| !r.is_object()))
    {
        return Err(format!("state.json: a row of {name:?} is not an object"));
    }
    Ok(Some(tables))
}

/// A suite's subgraphs, ready to start (over a fresh copy of its state).
fn subgraphs(dir: &Path) -> Result<Vec<federation_kit::Subgraph>, String> {
    let state = state(dir)?;
    let files = subgraph_files(dir)?;
    for (name, _, data) in &files {
        if let Some(table) = data
            .tables
            .keys()
            .find(|t| state.as_ref().is_some_and(|s| s.contains_key(*t)))
        {
            return Err(format!(
                "{name}.json: table {table:?} is in state.json (shared) and in {name}.json"
            ));
        }
    }
    let shared: Option<data::SharedTables> = state.map(|s| Arc::new(Mutex::new(s)));
    Ok(files
        .into_iter()
        .map(|(name, sdl, data)| {
            let name: &'static str = Box::leak(name.into_boxed_str());
            data::subgraph_with_state(name, &sdl, data, shared.clone())
        })
        .collect())
}

/// A suite's variants (which supergraphs it runs against) and, for
/// `Handwritten`, the hand-written types.
pub(crate) fn variants(dir: &Path) -> Result<Vec<(Variant, Option<String>)>, String> {
    let text = std::fs::read_to_string(dir.join("operations.txt"))
        .map_err(|e| format!("operations.txt: {e}"))?;
    let ops = parse_operations(&text)?;
    let handwritten = std::fs::read_to_string(dir.join("supergraph.graphql")).ok();
    let list = ops.supergraphs.clone().unwrap_or_else(|| {
        vec![if handwritten.is_some() {
            Variant::Handwritten
        } else {
            Variant::Composed
        }]
    });
    Ok(list.into_iter().map(|v| (v, handwritten.clone())).collect())
}

/// Starts a suite's subgraphs and the router over one of its supergraphs.
pub(crate) async fn start(
    dir: &Path,
    variant: Variant,
    handwritten: Option<&str>,
) -> Result<Scenario, String> {
    let subgraphs = subgraphs(dir)?;
    Ok(match variant {
        Variant::Composed => Scenario::compose(subgraphs).await,
        Variant::Handwritten => match handwritten {
            Some(types) => Scenario::start(subgraphs, types).await,
            None => return Err("`handwritten` without supergraph.graphql".into()),
        },
    })
}

/// Runs one suite; returns its failures and the number of checks.
async fn run_suite(dir: PathBuf, update: bool) -> (Vec<String>, usize) {
    let suite = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let fail = |message: String| (vec![format!("{suite}: {message}")], 0);
    let ops_path = dir.join("operations.txt");
    let text = match std::fs::read_to_string(&ops_path) {
        Ok(text) => text,
        Err(e) => return fail(format!("operations.txt: {e}")),
    };
    let ops = match parse_operations(&text) {
        Ok(ops) => ops,
        Err(e) => return fail(format!("operations.txt: {e}")),
    };
    let handwritten = std::fs::read_to_string(dir.join("supergraph.graphql")).ok();
    let variants = ops.supergraphs.clone().unwrap_or_else(|| {
        vec![if handwritten.is_some() {
            Variant::Handwritten
        } else {
            Variant::Composed
        }]
    });
    let qualified = variants.len() > 1;
    let mut failures = Vec::new();
    let mut checks = 0;
    let mut plans: Vec<Vec<(Option<&str>, String)>> = ops.cases.iter().map(|_| vec![]).collect();
    for variant in &variants {
        let scenario = match start(&dir, *variant, handwritten.as_deref()).await {
            Ok(s) => s,
            Err(e) => return fail(e),
        };
        let qualifier = qualified.then(|| variant.name());
        for (case, plans) in ops.cases.iter().zip(&mut plans) {
            let at = format!("{suite} [{}] {:?}", variant.name(), case.title);
            match run_case(&scenario, case, ops.status).await {
                // A `split:` case has no plan (it varies by draw).
                Ok((None, problems)) => {
                    checks += 1;
                    failures.extend(problems.into_iter().map(|p| format!("{at}: {p}")));
                    if case.section("plan", qualifier).is_some() {
                        failures.push(format!("{at}: a `split:` case takes no `plan:`"));
                    }
                }
                Ok((Some(plan), problems)) => {
                    checks += 1;
                    failures.extend(problems.into_iter().map(|p| format!("{at}: {p}")));
                    let expected = case.section("plan", qualifier).map(|s| s.text.as_str());
                    let plan = normalize_plan(&plan);
                    if !update {
                        match expected {
                            None => failures.push(format!(
                                "{at}: no `plan{}:` (run with UPDATE_EXPECT=1); got:\n{plan}",
                                qualifier.map(|q| format!(" {q}")).unwrap_or_default()
                            )),
                            Some(e) if normalize_plan(e) != plan => failures.push(format!(
                                "{at}: plan differs (UPDATE_EXPECT=1 rewrites it)\nexpected:\n{e}\nactual:\n{plan}"
                            )),
                            Some(_) => {}
                        }
                    }
                    plans.push((qualifier, plan));
                }
                Err(e) => failures.push(format!("{at}: {e}")),
            }
        }
    }
    if update {
        let new = rewrite_plans(&ops, &plans);
        if new != text
            && let Err(e) = std::fs::write(&ops_path, new)
        {
            failures.push(format!("{suite}: writing operations.txt: {e}"));
        }
    }
    (failures, checks)
}

/// What a case expects, parsed from its sections.
#[derive(Debug, PartialEq)]
struct Expect {
    query: String,
    variables: Value,
    /// `data:` (`None` for a `split:` case).
    data: Option<Value>,
    /// `split:`: every run's data is one of these, and each one is seen.
    split: Option<Vec<Value>>,
    errors: Errors,
    /// `requests:`: per subgraph, the variables of every request it received
    /// for the operation, in arrival order (subgraphs not named: unchecked).
    requests: Option<serde_json::Map<String, Value>>,
    /// `order:`: the subgraphs the operation's requests went to, in arrival
    /// order across subgraphs.
    order: Option<Vec<String>>,
    status: Option<u16>,
    repeat: usize,
}

#[derive(Debug, PartialEq)]
enum Errors {
    Present(bool),
    Any,
    /// The exact `errors` list.
    Exactly(Vec<Value>),
}

fn parse_case(case: &Case, default_status: Option<u16>) -> Result<Expect, String> {
    for (i, section) in case.sections.iter().enumerate() {
        if case.sections[..i]
            .iter()
            .any(|s| s.name == section.name && s.qualifier == section.qualifier)
        {
            return Err(format!("`{}:` twice", section.name));
        }
    }
    let json = |name: &str| -> Result<Option<Value>, String> {
        case.section(name, None)
            .map(|s| serde_json::from_str(&s.text).map_err(|e| format!("{name}: {e}")))
            .transpose()
    };
    let query = case
        .section("query", None)
        .ok_or("no `query:`")?
        .text
        .clone();
    let variables = json("variables")?.unwrap_or_else(|| json!({}));
    if !variables.is_object() {
        return Err("variables: not a JSON object".into());
    }
    let data = json("data")?;
    let split = match json("split")? {
        Some(Value::Array(items)) if items.len() > 1 => Some(items),
        Some(_) => return Err("split: a JSON array of two or more `data` values".into()),
        None => None,
    };
    match (&data, &split) {
        (None, None) => return Err("no `data:`".into()),
        (Some(_), Some(_)) => return Err("`data:` and `split:` both".into()),
        _ => {}
    }
    let errors_text = &case.section("errors", None).ok_or("no `errors:`")?.text;
    let errors = match errors_text.as_str() {
        "true" => Errors::Present(true),
        "false" => Errors::Present(false),
        "any" => Errors::Any,
        text => match serde_json::from_str(text) {
            Ok(Value::Array(list)) if !list.is_empty() => Errors::Exactly(list),
            _ => {
                return Err(format!(
                    "errors: {text:?} (true, false, any, or the exact errors as a non-empty JSON array)"
                ));
            }
        },
    };
    let requests = match json("requests")? {
        None => None,
        Some(Value::Object(map)) => {
            if let Some((name, _)) = map.iter().find(|(_, v)| !v.is_array()) {
                return Err(format!("requests: {name:?} is not a list of variables"));
            }
            Some(map)
        }
        Some(_) => return Err("requests: a JSON object, subgraph → variables list".into()),
    };
    let order = match json("order")? {
        None => None,
        Some(Value::Array(names)) if names.iter().all(Value::is_string) => Some(
            names
                .iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect(),
        ),
        Some(_) => return Err("order: a JSON array of subgraph names".into()),
    };
    let status = match case.section("status", None) {
        Some(s) => Some(
            s.text
                .parse()
                .map_err(|_| format!("status: {:?} is not an HTTP status", s.text))?,
        ),
        None => default_status,
    };
    let repeat = match case.section("repeat", None) {
        Some(s) => match s.text.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => return Err(format!("repeat: {:?} is not a positive number", s.text)),
        },
        None => 1,
    };
    if split.is_some() && repeat < 2 {
        return Err("split: needs `repeat:` (two or more runs)".into());
    }
    Ok(Expect {
        query,
        variables,
        data,
        split,
        errors,
        requests,
        order,
        status,
        repeat,
    })
}

/// One case: the plan text (`None` for a `split:` case) and what differs
/// from the expectation.
async fn run_case(
    scenario: &Scenario,
    case: &Case,
    default_status: Option<u16>,
) -> Result<(Option<String>, Vec<String>), String> {
    let expect = parse_case(case, default_status)?;
    let query = &expect.query;
    let mut problems = Vec::new();
    let mut plans: Vec<String> = Vec::new();
    let mut seen: Vec<bool> = expect.split.iter().flatten().map(|_| false).collect();
    for run in 0..expect.repeat {
        let run_at = if expect.repeat > 1 {
            format!("run {}: ", run + 1)
        } else {
            String::new()
        };
        for subgraph in &scenario.subgraphs {
            subgraph.clear();
        }
        let (status, body) = scenario.post(query, expect.variables.clone()).await;
        let plan = body["__plan"].as_str().unwrap_or_default().to_string();
        let response = federation_kit::response(body.clone());
        let context = format!("query: {query}\nresponse: {response:#}\nplan:\n{plan}");
        if let Some(expected) = expect.status
            && status != expected
        {
            problems.push(format!(
                "{run_at}HTTP status {status}, expected {expected}\n{context}"
            ));
        }
        match (&expect.data, &expect.split) {
            (Some(data), _) if body["data"] != *data => {
                problems.push(format!("{run_at}data differs\nexpected: {data}\n{context}"))
            }
            (_, Some(split)) => match split.iter().position(|d| *d == body["data"]) {
                Some(i) => seen[i] = true,
                None => problems.push(format!("{run_at}data is none of `split:`\n{context}")),
            },
            _ => {}
        }
        let errors = body.get("errors").and_then(|e| e.as_array());
        let has_errors = errors.is_some_and(|e| !e.is_empty());
        match &expect.errors {
            Errors::Present(expected) if has_errors != *expected => problems.push(format!(
                "{run_at}errors {} expected\n{context}",
                if *expected { "were" } else { "were not" }
            )),
            Errors::Exactly(list) if errors != Some(list) => problems.push(format!(
                "{run_at}errors differ\nexpected: {}\n{context}",
                Value::Array(list.clone())
            )),
            _ => {}
        }
        if let Some(requests) = &expect.requests {
            for (name, expected) in requests {
                let Some(subgraph) = scenario.subgraphs.iter().find(|s| s.name == name) else {
                    return Err(format!("requests: no subgraph {name:?}"));
                };
                let received =
                    Value::Array(subgraph.received().into_iter().map(|(_, v)| v).collect());
                if received != *expected {
                    problems.push(format!(
                        "{run_at}subgraph {name} received other requests\nexpected: {expected}\nreceived: {received}\n{context}"
                    ));
                }
            }
        }
        if let Some(expected) = &expect.order {
            if let Some(name) = expected
                .iter()
                .find(|n| !scenario.subgraphs.iter().any(|s| s.name == n.as_str()))
            {
                return Err(format!("order: no subgraph {name:?}"));
            }
            let mut arrivals: Vec<(u64, &str)> = scenario
                .subgraphs
                .iter()
                .flat_map(|s| s.arrivals().into_iter().map(move |n| (n, s.name)))
                .collect();
            arrivals.sort();
            let order: Vec<&str> = arrivals.into_iter().map(|(_, name)| name).collect();
            if order != *expected {
                problems.push(format!(
                    "{run_at}the requests reached other subgraphs in another order\nexpected: {expected:?}\nreceived: {order:?}\n{context}"
                ));
            }
        }
        if !plans.contains(&plan) {
            plans.push(plan);
        }
    }
    if let Some(split) = &expect.split {
        for (data, seen) in split.iter().zip(&seen) {
            if !seen {
                problems.push(format!(
                    "in {} runs, never the `split:` data {data}",
                    expect.repeat
                ));
            }
        }
        return Ok((None, problems));
    }
    if plans.len() > 1 {
        problems.push(format!(
            "the plan changed between runs:\n{}",
            plans.join("\n---\n")
        ));
    }
    Ok((plans.into_iter().next(), problems))
}

fn scenario_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios")
}

/// Every suite directory (one holding `operations.txt`), sorted.
pub(crate) fn suites() -> Vec<PathBuf> {
    let filter = std::env::var("SCENARIO").ok();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(scenario_root())
        .expect("router/tests/scenarios")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("operations.txt").is_file())
        .filter(|p| {
            filter.as_deref().is_none_or(|f| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().contains(f))
            })
        })
        .collect();
    dirs.sort();
    dirs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn federation_scenarios() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let dirs = suites();
    assert!(
        !dirs.is_empty() || std::env::var_os("SCENARIO").is_some(),
        "no scenarios found"
    );
    let mut tasks = tokio::task::JoinSet::new();
    for dir in dirs.clone() {
        tasks.spawn(run_suite(dir, update));
    }
    let mut failures = Vec::new();
    let mut checks = 0;
    while let Some(result) = tasks.join_next().await {
        match result {
            Ok((f, n)) => {
                failures.extend(f);
                checks += n;
            }
            Err(e) => failures.push(format!("a suite panicked: {e}")),
        }
    }
    eprintln!("{} suites, {checks} checks", dirs.len());
    assert!(
        failures.is_empty(),
        "{} failure(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn operations_files_round_trip() {
    let text = "# header\n\n=== one\nquery:\n{ a }\ndata: {\"a\": 1}\nerrors: false\nplan:\nQueryPlan {\n}\n\n=== two\nquery: { b }\ndata:\n{\"b\": 2}\nerrors: any\n";
    let ops = parse_operations(text).expect("parses");
    assert_eq!(ops.cases.len(), 2);
    assert_eq!(
        ops.cases[0].section("query", None).expect("q").text,
        "{ a }"
    );
    assert_eq!(ops.cases[1].section("errors", None).expect("e").text, "any");
    let plans = vec![
        vec![(None, "QueryPlan {\n}".to_string())],
        vec![(None, "QueryPlan {\n  x\n}".to_string())],
    ];
    let rewritten = rewrite_plans(&ops, &plans);
    assert_eq!(
        rewritten,
        format!("{text}plan:\nQueryPlan {{\n  x\n}}\n"),
        "only the plans change"
    );
}

#[test]
fn case_sections_parse_strictly() {
    let text = "status: 200\n\n=== exact errors, requests, repeat\nquery: { a }\ndata: {\"a\": null}\nerrors: [{\"message\": \"m\", \"path\": [\"a\"]}]\nrequests: {\"x\": [{}], \"y\": []}\norder: [\"x\", \"y\"]\nrepeat: 3\n\n=== split\nquery: { b }\nsplit: [{\"b\": 1}, {\"b\": 2}]\nerrors: false\nrepeat: 10\nstatus: 500\n";
    let ops = parse_operations(text).expect("parses");
    assert_eq!(ops.status, Some(200));
    let first = parse_case(&ops.cases[0], ops.status).expect("first");
    assert_eq!(
        first.errors,
        Errors::Exactly(vec![json!({"message": "m", "path": ["a"]})])
    );
    assert_eq!(
        first.requests.map(Value::Object),
        Some(json!({"x": [{}], "y": []}))
    );
    assert_eq!((first.repeat, first.status), (3, Some(200)));
    assert_eq!(first.order, Some(vec!["x".to_string(), "y".to_string()]));
    let second = parse_case(&ops.cases[1], ops.status).expect("second");
    assert_eq!(second.split, Some(vec![json!({"b": 1}), json!({"b": 2})]));
    assert_eq!((second.data, second.status), (None, Some(500)));

    let bad = |case: &str| {
        let ops = parse_operations(&format!("=== c\nquery: {{ a }}\n{case}")).expect("parses");
        parse_case(&ops.cases[0], None).expect_err(case)
    };
    bad("data: 1\nerrors: []\n");
    bad("data: 1\nerrors: maybe\n");
    bad("data: 1\nerrors: false\nrequests: [1]\n");
    bad("data: 1\nerrors: false\nrequests: {\"a\": 1}\n");
    bad("split: [1, 2]\nerrors: false\n");
    bad("data: 1\nsplit: [1, 2]\nerrors: false\nrepeat: 2\n");
    bad("data: 1\nerrors: false\nrepeat: 0\n");
    bad("data: 1\nerrors: false\norder: {\"a\": 1}\n");
    bad("data: 1\nerrors: false\norder: [1]\n");
    bad("data: 1\nerrors: false\nstatus: ok\n");
    bad("data: 1\ndata: 2\nerrors: false\n");
    assert!(parse_operations("status: two hundred\n").is_err());
}
