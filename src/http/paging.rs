//! The paging links of every paged answer (`/api/reports`, `/api/events` and the OGC items):
//! `self`, `next` while more match, and `prev` after the first page, each the same path and
//! parameters with `limit` and `offset` set.

use super::GEO_JSON;
use axum::http::Uri;
use sightmap_core::engine::query::Page;
use sightmap_core::formats::feature::Link;

/// The links of the page `page` of `matched` results, at `base` (scheme and host).
pub fn links(
    base: &str,
    uri: &Uri,
    pairs: &[(String, String)],
    page: Page,
    matched: usize,
) -> Vec<Link> {
    let link = |rel: &'static str, href: String| Link {
        href,
        rel,
        r#type: GEO_JSON,
    };
    let mut links = vec![link("self", format!("{base}{uri}"))];
    let next = page.offset.saturating_add(page.limit);
    if next < matched {
        links.push(link("next", page_href(base, uri, pairs, next, page.limit)));
    }
    if page.offset > 0 {
        let previous = page.offset.saturating_sub(page.limit);
        links.push(link(
            "prev",
            page_href(base, uri, pairs, previous, page.limit),
        ));
    }
    links
}

/// The same path and parameters with `limit` and `offset` set.
fn page_href(
    base: &str,
    uri: &Uri,
    pairs: &[(String, String)],
    offset: usize,
    limit: usize,
) -> String {
    let mut params: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k != "offset" && k != "limit")
        .cloned()
        .collect();
    params.push(("limit".into(), limit.to_string()));
    params.push(("offset".into(), offset.to_string()));
    format!(
        "{base}{}?{}",
        uri.path(),
        serde_urlencoded::to_string(&params).unwrap_or_default()
    )
}
