//! `@interfaceObject`: a subgraph that knows an interface only as an object type.
//! Exercises the planner's `__typename` input rewrites and the resolution of the
//! concrete type from the owning subgraph.

use crate::common;

use std::net::SocketAddr;

use async_graphql::{EmptyMutation, EmptySubscription, ID, Interface, Object, Schema};
use async_graphql_axum::GraphQL;
use serde_json::json;

/// An axum app serving an async-graphql schema at `/graphql`. These two
/// subgraphs stay async-graphql (not kit data) on purpose: a second,
/// independent subgraph implementation answering the planner's `__typename`
/// rewrites for `@interfaceObject` (the kit's view is `tessera-interface-object`).
fn graphql_app<Q, M, S>(schema: Schema<Q, M, S>) -> axum::Router
where
    Q: async_graphql::ObjectType + 'static,
    M: async_graphql::ObjectType + 'static,
    S: async_graphql::SubscriptionType + 'static,
{
    axum::Router::new().route(
        "/graphql",
        axum::routing::post_service(GraphQL::new(schema)),
    )
}

#[derive(Clone)]
struct Book {
    id: &'static str,
    title: &'static str,
    author: &'static str,
}

#[Object]
impl Book {
    async fn id(&self) -> ID {
        ID(self.id.into())
    }
    async fn title(&self) -> &str {
        self.title
    }
    async fn author(&self) -> &str {
        self.author
    }
}

#[derive(Clone)]
struct Movie {
    id: &'static str,
    title: &'static str,
    director: &'static str,
}

#[Object]
impl Movie {
    async fn id(&self) -> ID {
        ID(self.id.into())
    }
    async fn title(&self) -> &str {
        self.title
    }
    async fn director(&self) -> &str {
        self.director
    }
}

#[derive(Interface, Clone)]
#[graphql(field(name = "id", ty = "ID"), field(name = "title", ty = "&str"))]
enum Media {
    Book(Book),
    Movie(Movie),
}

fn all_media() -> Vec<Media> {
    vec![
        Media::Book(Book {
            id: "b1",
            title: "Dune",
            author: "Herbert",
        }),
        Media::Movie(Movie {
            id: "m1",
            title: "Alien",
            director: "Scott",
        }),
    ]
}

fn find(id: &str) -> Option<Media> {
    all_media().into_iter().find(|m| match m {
        Media::Book(b) => b.id == id,
        Media::Movie(m) => m.id == id,
    })
}

struct MediaQuery;

#[Object]
impl MediaQuery {
    async fn media(&self) -> Vec<Media> {
        all_media()
    }
    #[graphql(entity)]
    async fn find_media_by_id(&self, id: ID) -> Option<Media> {
        find(&id)
    }
    #[graphql(entity)]
    async fn find_book_by_id(&self, id: ID) -> Option<Book> {
        match find(&id) {
            Some(Media::Book(b)) => Some(b),
            _ => None,
        }
    }
    #[graphql(entity)]
    async fn find_movie_by_id(&self, id: ID) -> Option<Movie> {
        match find(&id) {
            Some(Media::Movie(m)) => Some(m),
            _ => None,
        }
    }
}

/// The ratings subgraph's view of `Media`: an object type.
struct RatedMedia {
    id: String,
}

#[Object(name = "Media")]
impl RatedMedia {
    async fn id(&self) -> ID {
        ID(self.id.clone())
    }
    async fn stars(&self) -> i32 {
        if self.id == "m1" { 5 } else { 4 }
    }
}

struct RatingsQuery;

#[Object]
impl RatingsQuery {
    async fn top_rated(&self) -> Vec<RatedMedia> {
        vec![
            RatedMedia { id: "m1".into() },
            RatedMedia { id: "b1".into() },
        ]
    }
    #[graphql(entity)]
    async fn find_media_by_id(&self, id: ID) -> RatedMedia {
        RatedMedia { id: id.0 }
    }
}

async fn start() -> (
    common::Server,
    common::Server,
    tessera_router::RunningRouter,
) {
    let local: SocketAddr = "127.0.0.1:0".parse().expect("address");
    let media = common::Server::start(
        graphql_app(Schema::new(MediaQuery, EmptyMutation, EmptySubscription)),
        local,
    )
    .await;
    let ratings = common::Server::start(
        graphql_app(Schema::new(RatingsQuery, EmptyMutation, EmptySubscription)),
        local,
    )
    .await;
    let sdl = include_str!("../fixtures/interface_object.supergraph.graphql")
        .replace("{{MEDIA_URL}}", &media.url())
        .replace("{{RATINGS_URL}}", &ratings.url());
    let router = tessera_router::start(common::test_config(), &sdl)
        .await
        .expect("router starts");
    (media, ratings, router)
}

async fn query(router: &tessera_router::RunningRouter, query: &str) -> serde_json::Value {
    reqwest::Client::new()
        .post(router.graphql_url())
        .json(&json!({"query": query}))
        .send()
        .await
        .expect("router reachable")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn interface_object_fields_join_concrete_implementations() {
    let (_media, _ratings, router) = start().await;
    let body = query(
        &router,
        "{ media { __typename id title stars ... on Book { author } } }",
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"media": [
            {"__typename": "Book", "id": "b1", "title": "Dune", "stars": 4, "author": "Herbert"},
            {"__typename": "Movie", "id": "m1", "title": "Alien", "stars": 5}
        ]}})
    );
}

#[tokio::test]
async fn interface_objects_get_their_concrete_type_from_the_owner() {
    let (_media, _ratings, router) = start().await;
    let body = query(
        &router,
        "{ topRated { __typename id stars title ... on Movie { director } } }",
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"topRated": [
            {"__typename": "Movie", "id": "m1", "stars": 5, "title": "Alien", "director": "Scott"},
            {"__typename": "Book", "id": "b1", "stars": 4, "title": "Dune"}
        ]}})
    );
}
