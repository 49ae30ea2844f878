//! `registry/graph`: an app's dependency rules drawn as SVG on the server: consumers to
//! the left of what they call, each service linking to its page.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::db_error;
use super::layout::{self, href};
use super::store::registry as store;
use crate::error::TwinError;
use crate::state::AppState;

/// Rules drawn at most; an app with more is a table nobody reads as a picture.
const MAX_EDGES: i64 = 300;

/// Boxes drawn at most for services without rules.
const MAX_NODES: i64 = 150;

#[derive(Deserialize)]
pub struct GraphQuery {
    #[serde(default)]
    domain: String,
    #[serde(default)]
    project: String,
    #[serde(default)]
    app: String,
}

/// Where each node goes: its column (how many hops from a service nobody calls) and its
/// row within the column.
#[derive(Debug, PartialEq)]
pub struct Layout {
    pub nodes: BTreeMap<String, (usize, usize)>,
    pub columns: usize,
    pub rows: usize,
}

/// Places the nodes of `edges` (consumer, provider) in columns by longest path from a
/// node without callers. A cycle cannot push a node further than the node count, so
/// the loop ends on any input.
pub fn layout(edges: &[(String, String)], extra: &[String]) -> Layout {
    let names: BTreeSet<&str> = edges
        .iter()
        .flat_map(|(c, p)| [c.as_str(), p.as_str()])
        .chain(extra.iter().map(String::as_str))
        .collect();
    let mut column: BTreeMap<&str, usize> = names.iter().map(|n| (*n, 0)).collect();
    for _ in 0..names.len() {
        let mut moved = false;
        for (c, p) in edges {
            let next = (column[c.as_str()] + 1).min(names.len());
            if c != p && column[p.as_str()] < next {
                column.insert(p, next);
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    let mut filled: BTreeMap<usize, usize> = BTreeMap::new();
    let nodes: BTreeMap<String, (usize, usize)> = column
        .iter()
        .map(|(name, col)| {
            let row = filled.entry(*col).or_default();
            *row += 1;
            ((*name).to_owned(), (*col, *row - 1))
        })
        .collect();
    Layout {
        columns: filled.keys().max().map_or(0, |c| c + 1),
        rows: filled.values().copied().max().unwrap_or(0),
        nodes,
    }
}

const NODE_W: usize = 170;
const NODE_H: usize = 28;
const GAP_X: usize = 80;
const GAP_Y: usize = 14;

fn origin((col, row): (usize, usize)) -> (usize, usize) {
    (10 + col * (NODE_W + GAP_X), 10 + row * (NODE_H + GAP_Y))
}

/// The picture: boxes linking to services, arrows from consumer to provider.
pub fn svg(
    edges: &[(String, String)],
    layout: &Layout,
    link: impl Fn(&str) -> Option<String>,
) -> Markup {
    let width = 20 + layout.columns * (NODE_W + GAP_X);
    let height = 20 + layout.rows * (NODE_H + GAP_Y);
    html! {
        svg #graph xmlns="http://www.w3.org/2000/svg" width=(width) height=(height) role="img" aria-label="dependency graph" {
            defs { marker #arrow viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse" { path d="M 0 0 L 10 5 L 0 10 z" fill="#546e7a" {} } }
            @for (c, p) in edges {
                @if let (Some(from), Some(to)) = (layout.nodes.get(c), layout.nodes.get(p)) {
                    @let (x1, y1) = origin(*from);
                    @let (x2, y2) = origin(*to);
                    line x1=(x1 + NODE_W) y1=(y1 + NODE_H / 2) x2=(x2) y2=(y2 + NODE_H / 2) stroke="#546e7a" marker-end="url(#arrow)" {}
                }
            }
            @for (name, at) in &layout.nodes {
                @let (x, y) = origin(*at);
                @let label = if name.chars().count() > 24 { format!("{}…", name.chars().take(23).collect::<String>()) } else { name.clone() };
                @if let Some(url) = link(name) {
                    a href=(url) {
                        rect x=(x) y=(y) width=(NODE_W) height=(NODE_H) rx="4" fill="#e0f2f1" stroke="#00796b" {}
                        text x=(x + 8) y=(y + 18) { title { (name) } (label) }
                    }
                } @else {
                    rect x=(x) y=(y) width=(NODE_W) height=(NODE_H) rx="4" fill="#f5f5f5" stroke="#9e9e9e" stroke-dasharray="4" {}
                    text x=(x + 8) y=(y + 18) { title { (name) } (label) }
                }
            }
        }
    }
}

pub async fn page(
    state: web::Data<AppState>,
    query: web::Query<GraphQuery>,
) -> Result<HttpResponse, TwinError> {
    let q = query.into_inner();
    let mut tx = state.db.read().await.map_err(db_error)?;
    let rules = store::edges(&mut tx, &q.domain, &q.project, &q.app, MAX_EDGES + 1)
        .await
        .map_err(db_error)?;
    let named: Vec<&str> = rules
        .iter()
        .map(|r| r.consumer.as_str())
        .chain(
            rules
                .iter()
                .filter(|r| r.provider_app == q.app)
                .map(|r| r.provider.as_str()),
        )
        .collect();
    let ids: BTreeMap<String, String> =
        store::names_in_app(&mut tx, &q.domain, &q.project, &q.app, &named, MAX_NODES)
            .await
            .map_err(db_error)?
            .into_iter()
            .collect();
    drop(tx);
    let capped = rules.len() as i64 > MAX_EDGES;
    // Providers of another app are named app/name, so that names never collide.
    let edges: Vec<(String, String)> = rules
        .iter()
        .take(MAX_EDGES as usize)
        .map(|r| {
            let provider = if r.provider_app == q.app {
                r.provider.clone()
            } else {
                format!("{}/{}", r.provider_app, r.provider)
            };
            (r.consumer.clone(), provider)
        })
        .collect();
    // Services without rules fill the picture up to MAX_NODES boxes, no further.
    let drawn: BTreeSet<&str> = edges
        .iter()
        .flat_map(|(c, p)| [c.as_str(), p.as_str()])
        .collect();
    let room = (MAX_NODES as usize).saturating_sub(drawn.len());
    let lonely: Vec<String> = ids
        .keys()
        .filter(|n| !drawn.contains(n.as_str()))
        .take(room)
        .cloned()
        .collect();
    let placed = layout(&edges, &lonely);
    let link = |name: &str| {
        ids.get(name).map(|id| {
            href(
                "registry/service",
                &[("domain", &q.domain), ("project", &q.project), ("id", id)],
            )
        })
    };
    let body = html! {
        p { a href=(href("registry/services", &[("domain", &q.domain), ("project", &q.project), ("app", &q.app)])) { "← services of app " (q.app) }
            " · " (edges.len()) " dependency rules, " (placed.nodes.len()) " services drawn" }
        @if capped { p.warn { "Only the first " (MAX_EDGES) " rules are drawn." } }
        (svg(&edges, &placed, link))
        p.empty { "Arrows point from a consumer to the service it calls; dashed boxes are names no service of this app registered." }
    };
    Ok(layout::page(
        &format!("Dependencies of {}", q.app),
        "registry",
        None,
        body,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(c: &str, p: &str) -> (String, String) {
        (c.into(), p.into())
    }

    #[test]
    fn a_chain_runs_left_to_right() {
        let l = layout(&[e("a", "b"), e("b", "c")], &[]);
        assert_eq!(l.nodes["a"].0, 0);
        assert_eq!(l.nodes["b"].0, 1);
        assert_eq!(l.nodes["c"].0, 2);
        assert_eq!((l.columns, l.rows), (3, 1));
    }

    #[test]
    fn a_diamond_puts_the_shared_provider_last() {
        let l = layout(
            &[e("a", "b"), e("a", "c"), e("b", "d"), e("c", "d")],
            &["lone".into()],
        );
        assert_eq!(l.nodes["d"].0, 2);
        assert_eq!(l.nodes["b"].0, l.nodes["c"].0);
        assert_eq!(l.nodes["lone"].0, 0);
    }

    #[test]
    fn a_cycle_ends() {
        let l = layout(&[e("a", "b"), e("b", "a"), e("a", "a")], &[]);
        assert_eq!(l.nodes.len(), 2);
        assert!(l.columns <= 3);
    }

    #[test]
    fn labels_are_text_not_markup() {
        let edges = [e("<script>alert(1)</script>", "b")];
        let html = svg(&edges, &layout(&edges, &[]), |_| None).into_string();
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
    }
}
