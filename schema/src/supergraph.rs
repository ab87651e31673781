//! Loading a Federation v2 supergraph SDL: validation, `@link` version detection and
//! the list of subgraphs.
//!
//! Spec: <https://specs.apollo.dev/link/v1.0/>, <https://specs.apollo.dev/join/v0.3/>.

use std::fmt;

use apollo_compiler::Schema;
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;

/// The identity URL of the `link` spec.
pub const LINK_IDENTITY: &str = "https://specs.apollo.dev/link";
/// The identity URL of the `join` spec.
pub const JOIN_IDENTITY: &str = "https://specs.apollo.dev/join";
/// The identity URL of the `inaccessible` spec.
pub const INACCESSIBLE_IDENTITY: &str = "https://specs.apollo.dev/inaccessible";
/// The identity URL of the Federation 1 `core` spec.
pub const CORE_IDENTITY: &str = "https://specs.apollo.dev/core";

/// Why a supergraph SDL cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum SupergraphError {
    /// The SDL does not parse or is not a valid GraphQL schema.
    #[error("the supergraph is not a valid GraphQL schema:\n{0}")]
    Invalid(String),
    /// A Federation 1 supergraph (`@core`, join v0.1/v0.2).
    #[error(
        "this is a Federation 1 supergraph ({found}); Tessera serves Federation 2 supergraphs \
         only (link v1.0, join v0.3 or later): recompose the subgraphs with Federation 2 \
         composition"
    )]
    Federation1 { found: String },
    /// No `@link(url: "https://specs.apollo.dev/link/v1.x")` on the schema definition.
    #[error(
        "the supergraph has no `@link(url: \"https://specs.apollo.dev/link/v1.0\")` on its \
         schema definition: is it a Federation 2 supergraph?"
    )]
    MissingLink,
    /// No `@link` to the join spec.
    #[error("the supergraph does not link the join spec (https://specs.apollo.dev/join/v0.3)")]
    MissingJoin,
    /// A linked spec in a version this router does not support.
    #[error("unsupported {spec} version v{version} (supported: {supported})")]
    UnsupportedVersion {
        spec: &'static str,
        version: LinkVersion,
        supported: &'static str,
    },
    /// A `@link(url:)` that is not a spec URL.
    #[error("malformed @link url {0:?}: expected `<identity>/<name>/v<major>.<minor>`")]
    MalformedLinkUrl(String),
    /// The `join__Graph` enum or one of its `@join__graph` directives is missing or broken.
    #[error("malformed join__Graph: {0}")]
    MalformedGraphs(String),
}

/// A `major.minor` spec version such as `v0.3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LinkVersion {
    pub major: u32,
    pub minor: u32,
}

impl fmt::Display for LinkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// One `@link` application on the schema definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The full URL, e.g. `https://specs.apollo.dev/join/v0.3`.
    pub url: String,
    /// The URL without its name and version, e.g. `https://specs.apollo.dev`.
    pub identity: String,
    /// The spec's name, e.g. `join`.
    pub name: String,
    pub version: LinkVersion,
    /// The local name (`as:`), defaulting to [`Link::name`]; prefixes `name__` elements.
    pub local_name: String,
    /// `import:` entries as `(name in the spec, local name)`, both with a leading `@`
    /// for directives.
    pub imports: Vec<(String, String)>,
    /// `for:` (`SECURITY`, `EXECUTION`), if any.
    pub purpose: Option<String>,
}

impl Link {
    /// The identity of the spec, e.g. `https://specs.apollo.dev/join`.
    pub fn spec_identity(&self) -> String {
        format!("{}/{}", self.identity, self.name)
    }

    /// The local name of one of this spec's directives (`spec_directive` without `@`).
    ///
    /// link v1.0 §Import: an imported name is used as is (or under its `as:` name),
    /// the directive named after the spec is `@<local_name>`, anything else is
    /// namespaced `@<local_name>__<directive>`.
    pub fn directive_name(&self, spec_directive: &str) -> String {
        let wanted = format!("@{spec_directive}");
        if let Some((_, local)) = self.imports.iter().find(|(name, _)| *name == wanted) {
            return local.trim_start_matches('@').to_string();
        }
        if spec_directive == self.name {
            self.local_name.clone()
        } else {
            format!("{}__{}", self.local_name, spec_directive)
        }
    }

    /// Whether `name` (a directive without `@`, or a type) belongs to this spec.
    pub fn owns(&self, name: &str, is_directive: bool) -> bool {
        if (is_directive && name == self.local_name)
            || name.starts_with(&format!("{}__", self.local_name))
        {
            return true;
        }
        self.imports.iter().any(|(_, local)| {
            if is_directive {
                local.strip_prefix('@') == Some(name)
            } else {
                local == name
            }
        })
    }

    /// Parses `@link(url:, as:, import:, for:)` arguments.
    fn from_directive(
        directive: &apollo_compiler::schema::Directive,
    ) -> Result<Option<Self>, SupergraphError> {
        let Some(url) = directive
            .specified_argument_by_name("url")
            .and_then(|v| v.as_str())
        else {
            return Ok(None);
        };
        let (identity, name, version) = split_spec_url(url)?;
        let local_name = directive
            .specified_argument_by_name("as")
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| name.clone());
        let mut imports = Vec::new();
        if let Some(list) = directive
            .specified_argument_by_name("import")
            .and_then(|v| v.as_list())
        {
            for item in list {
                if let Some(s) = item.as_str() {
                    imports.push((s.to_string(), s.to_string()));
                } else if let Some(fields) = item.as_object() {
                    let get = |key: &str| {
                        fields
                            .iter()
                            .find(|(k, _)| k == key)
                            .and_then(|(_, v)| v.as_str())
                            .map(str::to_string)
                    };
                    if let Some(n) = get("name") {
                        let local = get("as").unwrap_or_else(|| n.clone());
                        imports.push((n, local));
                    }
                }
            }
        }
        let purpose = directive.specified_argument_by_name("for").and_then(|v| {
            v.as_enum()
                .map(|e| e.to_string())
                .or_else(|| v.as_str().map(str::to_string))
        });
        Ok(Some(Link {
            url: url.to_string(),
            identity,
            name,
            version,
            local_name,
            imports,
            purpose,
        }))
    }
}

/// Splits `https://specs.apollo.dev/join/v0.3` into identity, name and version.
fn split_spec_url(url: &str) -> Result<(String, String, LinkVersion), SupergraphError> {
    let malformed = || SupergraphError::MalformedLinkUrl(url.to_string());
    let trimmed = url.trim_end_matches('/');
    let (rest, version) = trimmed.rsplit_once('/').ok_or_else(malformed)?;
    let (identity, name) = rest.rsplit_once('/').ok_or_else(malformed)?;
    let version = parse_version(version).ok_or_else(malformed)?;
    Ok((identity.to_string(), name.to_string(), version))
}

fn parse_version(text: &str) -> Option<LinkVersion> {
    let (major, minor) = text.strip_prefix('v')?.split_once('.')?;
    Some(LinkVersion {
        major: major.parse().ok()?,
        minor: minor.parse().ok()?,
    })
}

/// One subgraph as declared by `join__Graph`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubgraphInfo {
    /// The subgraph's name (`@join__graph(name:)`), used in plans.
    pub name: String,
    /// The `join__Graph` enum value naming it in `@join__*` directives.
    pub enum_value: String,
    /// The routing URL (`@join__graph(url:)`), possibly empty.
    pub url: String,
}

/// A loaded, validated Federation v2 supergraph.
#[derive(Debug, Clone)]
pub struct Supergraph {
    sdl: String,
    schema: Valid<Schema>,
    links: Vec<Link>,
    subgraphs: Vec<SubgraphInfo>,
}

/// Versions of the join spec this crate accepts.
const SUPPORTED_JOIN: &str = "v0.3 to v0.5";
/// Versions of the link spec this crate accepts.
const SUPPORTED_LINK: &str = "v1.x";

impl Supergraph {
    /// Parses, validates and version-checks a supergraph SDL.
    pub fn parse(sdl: &str) -> Result<Self, SupergraphError> {
        let schema = Schema::parse_and_validate(sdl, "supergraph.graphql")
            .map_err(|with_errors| SupergraphError::Invalid(with_errors.errors.to_string()))?;

        // Federation 1: `schema @core(feature: "https://specs.apollo.dev/core/v0.x")`.
        let mut core_features = Vec::new();
        for directive in schema.schema_definition.directives.iter() {
            if let Some(feature) = directive
                .specified_argument_by_name("feature")
                .and_then(|v| v.as_str())
            {
                core_features.push(feature.to_string());
            }
        }
        if core_features
            .iter()
            .any(|f| f.starts_with(&format!("{CORE_IDENTITY}/")))
        {
            return Err(SupergraphError::Federation1 {
                found: core_features.join(", "),
            });
        }

        let mut links = Vec::new();
        for directive in schema.schema_definition.directives.iter() {
            // The link spec may itself be renamed (`@link(url: ".../link/v1.0", as: "l")`),
            // so look at every directive with a `url:` argument naming a spec.
            if directive.specified_argument_by_name("url").is_some()
                && let Some(link) = Link::from_directive(directive)?
            {
                links.push(link);
            }
        }
        let link = links
            .iter()
            .find(|l| l.spec_identity() == LINK_IDENTITY)
            .ok_or(SupergraphError::MissingLink)?;
        if link.version.major != 1 {
            return Err(SupergraphError::UnsupportedVersion {
                spec: "link",
                version: link.version,
                supported: SUPPORTED_LINK,
            });
        }
        let join = links
            .iter()
            .find(|l| l.spec_identity() == JOIN_IDENTITY)
            .ok_or(SupergraphError::MissingJoin)?;
        if join.version.major == 0 && join.version.minor < 3 {
            return Err(SupergraphError::Federation1 {
                found: format!("join v{}", join.version),
            });
        }
        if join.version.major != 0 || join.version.minor > 5 {
            return Err(SupergraphError::UnsupportedVersion {
                spec: "join",
                version: join.version,
                supported: SUPPORTED_JOIN,
            });
        }
        let subgraphs = read_graphs(&schema, join)?;
        Ok(Supergraph {
            sdl: sdl.to_string(),
            schema,
            links,
            subgraphs,
        })
    }

    /// The SDL this supergraph was parsed from.
    pub fn sdl(&self) -> &str {
        &self.sdl
    }

    /// The validated supergraph schema (with all join/link machinery).
    pub fn schema(&self) -> &Valid<Schema> {
        &self.schema
    }

    /// Every `@link` on the schema definition.
    pub fn links(&self) -> &[Link] {
        &self.links
    }

    /// The link for a spec identity such as [`JOIN_IDENTITY`], if linked.
    pub fn link(&self, spec_identity: &str) -> Option<&Link> {
        self.links
            .iter()
            .find(|l| l.spec_identity() == spec_identity)
    }

    /// The version of the join spec.
    pub fn join_version(&self) -> Option<LinkVersion> {
        self.link(JOIN_IDENTITY).map(|l| l.version)
    }

    /// The subgraphs, in `join__Graph` order.
    pub fn subgraphs(&self) -> &[SubgraphInfo] {
        &self.subgraphs
    }

    /// Linked specs with `for: SECURITY` or `for: EXECUTION` other than those given:
    /// features a router must understand to serve the supergraph correctly.
    pub fn features_requiring_support<'a>(&'a self, understood: &[&str]) -> Vec<&'a Link> {
        self.links
            .iter()
            .filter(|l| matches!(l.purpose.as_deref(), Some("SECURITY") | Some("EXECUTION")))
            .filter(|l| !understood.contains(&l.spec_identity().as_str()))
            .collect()
    }
}

fn read_graphs(schema: &Schema, join: &Link) -> Result<Vec<SubgraphInfo>, SupergraphError> {
    let enum_name = format!("{}__Graph", join.local_name);
    let graph_directive = join.directive_name("graph");
    let Some(ExtendedType::Enum(graphs)) = schema.types.get(enum_name.as_str()) else {
        return Err(SupergraphError::MalformedGraphs(format!(
            "enum {enum_name} is missing"
        )));
    };
    let mut out = Vec::new();
    for (value, def) in &graphs.values {
        let directive = def.directives.get(&graph_directive).ok_or_else(|| {
            SupergraphError::MalformedGraphs(format!(
                "{enum_name}.{value} has no @{graph_directive}"
            ))
        })?;
        let name = directive
            .specified_argument_by_name("name")
            .and_then(|v| v.as_str())
            .ok_or_else(|| {
                SupergraphError::MalformedGraphs(format!(
                    "@{graph_directive} on {value} has no name"
                ))
            })?;
        let url = directive
            .specified_argument_by_name("url")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        out.push(SubgraphInfo {
            name: name.to_string(),
            enum_value: value.to_string(),
            url: url.to_string(),
        });
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small, complete Federation v2 supergraph used by this crate's tests.
    pub(crate) const SUPERGRAPH: &str = r#"
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)
  @link(url: "https://specs.apollo.dev/tag/v0.3")
{
  query: Query
}

directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | SCHEMA

scalar join__FieldSet
enum join__Graph {
  A @join__graph(name: "a", url: "http://a.example/graphql")
  B @join__graph(name: "b", url: "http://b.example/graphql")
}
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }

type Query @join__type(graph: A) @join__type(graph: B) {
  me: User @join__field(graph: A)
  secret: String @join__field(graph: A) @inaccessible
  search(term: String, internal: Boolean @inaccessible): [Result!]! @join__field(graph: B)
}

type User @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") @tag(name: "public") {
  id: ID!
  name: String @join__field(graph: A)
  role: Role @join__field(graph: A)
  hidden: Hidden @join__field(graph: A) @inaccessible
}

type Hidden @join__type(graph: A) @inaccessible {
  x: Int
}

enum Role @join__type(graph: A) {
  ADMIN
  MEMBER
  ROOT @inaccessible
}

union Result @join__type(graph: B) @join__unionMember(graph: B, member: "User") @join__unionMember(graph: B, member: "Hidden") = User | Hidden
"#;

    #[test]
    fn loads_a_fed2_supergraph_and_lists_subgraphs() {
        let supergraph = Supergraph::parse(SUPERGRAPH).expect("valid supergraph");
        assert_eq!(
            supergraph.join_version(),
            Some(LinkVersion { major: 0, minor: 3 })
        );
        let names: Vec<_> = supergraph
            .subgraphs()
            .iter()
            .map(|s| (s.name.as_str(), s.enum_value.as_str(), s.url.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("a", "A", "http://a.example/graphql"),
                ("b", "B", "http://b.example/graphql")
            ]
        );
        let features = supergraph.features_requiring_support(&[JOIN_IDENTITY]);
        assert_eq!(features.len(), 1);
        assert_eq!(features[0].name, "inaccessible");
    }

    #[test]
    fn rejects_federation_1_supergraphs() {
        let fed1 = r#"
schema
  @core(feature: "https://specs.apollo.dev/core/v0.2")
  @core(feature: "https://specs.apollo.dev/join/v0.1", for: EXECUTION)
{
  query: Query
}
directive @core(as: String, feature: String!, for: core__Purpose) repeatable on SCHEMA
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
enum core__Purpose { EXECUTION SECURITY }
enum join__Graph { A @join__graph(name: "a", url: "http://a") }
type Query { a: Int }
"#;
        let err = Supergraph::parse(fed1).expect_err("fed1 must be rejected");
        assert!(matches!(err, SupergraphError::Federation1 { .. }), "{err}");
        assert!(err.to_string().contains("Federation 1"));
    }

    #[test]
    fn rejects_old_join_versions() {
        let old = SUPERGRAPH.replace("join/v0.3", "join/v0.1");
        let err = Supergraph::parse(&old).expect_err("join v0.1 must be rejected");
        assert!(matches!(err, SupergraphError::Federation1 { .. }), "{err}");
        let future = SUPERGRAPH.replace("join/v0.3", "join/v1.0");
        let err = Supergraph::parse(&future).expect_err("join v1.0 is unknown");
        assert!(matches!(err, SupergraphError::UnsupportedVersion { .. }));
    }

    #[test]
    fn rejects_missing_link_and_invalid_sdl() {
        let err = Supergraph::parse("type Query { a: Int }").expect_err("no link");
        assert!(matches!(err, SupergraphError::MissingLink));
        let err = Supergraph::parse("type Query { a: Nope }").expect_err("invalid");
        assert!(matches!(err, SupergraphError::Invalid(_)));
        let err = Supergraph::parse("type Query {").expect_err("syntax");
        assert!(matches!(err, SupergraphError::Invalid(_)));
    }

    #[test]
    fn directive_names_follow_link_renames_and_imports() {
        let (identity, name, version) =
            split_spec_url("https://specs.apollo.dev/join/v0.3").expect("url");
        assert_eq!(identity, "https://specs.apollo.dev");
        assert_eq!(name, "join");
        assert_eq!(version, LinkVersion { major: 0, minor: 3 });
        let link = Link {
            url: String::new(),
            identity,
            name: "inaccessible".into(),
            version,
            local_name: "inaccessible".into(),
            imports: vec![("@inaccessible".into(), "@private".into())],
            purpose: None,
        };
        assert_eq!(link.directive_name("inaccessible"), "private");
        assert!(link.owns("private", true));
        assert!(split_spec_url("not a url").is_err());
    }
}
