//! What every console page shares: the shell with its header, the pager, links built
//! from query pairs, and how times and sizes read.

use actix_web::HttpResponse;
use actix_web::http::header;
use maud::{DOCTYPE, Markup, html};

/// Where the console lives; every link on a page starts here.
pub const ROOT: &str = "/_cloudtwin/console/";

/// The header's sections: (path under ROOT, label).
const SECTIONS: [(&str, &str); 7] = [
    ("", "Overview"),
    ("sms/tasks", "SMS"),
    ("registry", "Registry"),
    ("identity", "Identity"),
    ("journal", "Journal"),
    ("faults", "Faults"),
    ("admin", "Admin"),
];

/// Script is off entirely and styles come only from the console's own sheet: a string
/// that escaped escaping still could not run.
const POLICY: &str = "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'";

/// A whole page: the header naming `section` as current, then `body`.
pub fn page(title: &str, section: &str, refresh: Option<u32>, body: Markup) -> HttpResponse {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                @if let Some(secs) = refresh { meta http-equiv="refresh" content=(secs); }
                title { (title) " · cloudtwin" }
                link rel="stylesheet" href={ (ROOT) "console.css" };
            }
            body {
                header {
                    nav {
                        strong { "cloudtwin " (env!("CARGO_PKG_VERSION")) }
                        @for (path, label) in SECTIONS {
                            @if path == section {
                                a.current href={ (ROOT) (path) } { (label) }
                            } @else {
                                a href={ (ROOT) (path) } { (label) }
                            }
                        }
                        a href="/docs/" { "API explorer" }
                    }
                    form.find method="get" action={ (ROOT) "find" } {
                        input type="search" name="id" placeholder="find by id" aria-label="find by id";
                    }
                }
                main { h1 { (title) } (body) }
            }
        }
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .body(markup.into_string())
}

/// A link to `path` under the console with the given query pairs (empty values left
/// out), percent-encoded; maud escapes it again as an attribute.
pub fn href(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        query.append_pair(k, v);
    }
    let query = query.finish();
    if query.is_empty() {
        format!("{ROOT}{path}")
    } else {
        format!("{ROOT}{path}?{query}")
    }
}

/// The row of page links under a list: back to the first page, and on to the next when
/// there is one (`next` is the cursor of the page's last row).
pub fn pager(path: &str, pairs: &[(&str, &str)], next: Option<&str>, shown: usize) -> Markup {
    let first = href(path, pairs);
    html! {
        p.pager {
            (shown) " shown · "
            a href=(first) { "first page" }
            @if let Some(cursor) = next {
                " · "
                a rel="next" href=(href(path, &[pairs, &[("after", cursor)]].concat())) { "next page →" }
            }
        }
    }
}

/// The `"none"` row of an empty table.
pub fn empty_row(empty: bool, columns: usize) -> Markup {
    html! {
        @if empty { tr { td colspan=(columns) class="empty" { "none" } } }
    }
}

/// A simulated or real time in ms as RFC 3339 (UTC), empty for none.
pub fn when(ms: Option<i64>) -> String {
    ms.and_then(|ms| {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
    })
    .and_then(|t| {
        t.format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .ok()
    })
    .unwrap_or_default()
}

/// Seconds as `1 h 02 min`, `3 min 05 s` or `7 s`.
pub fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    match (secs / 3600, secs % 3600 / 60, secs % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, s) => format!("{m} min {s:02} s"),
        (h, m, _) => format!("{h} h {m:02} min"),
    }
}

/// Bytes in the largest unit that keeps a whole number in front.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = "bytes";
    for u in UNITS {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = u;
    }
    if unit == "bytes" {
        format!("{n} bytes")
    } else {
        format!("{value:.1} {unit}")
    }
}

/// JSON as indented text when it parses, else as stored.
pub fn pretty(raw: &str) -> String {
    serde_json::from_str::<serde_json::Value>(raw)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| raw.to_owned())
}

/// The console's style sheet, served as a file so the policy can forbid inline styles.
pub const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#222}\
header{display:flex;justify-content:space-between;align-items:center;background:#263238;padding:.4em 1em}\
header a,header strong{color:#eceff1;margin-right:1em;text-decoration:none}\
header a.current{border-bottom:2px solid #80cbc4}\
main{margin:1em 2em}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}\
table{border-collapse:collapse;margin-bottom:1em}\
th,td{border:1px solid #ccc;padding:.25em .75em;text-align:left;vertical-align:top}\
td.n{text-align:right}th{background:#f3f3f3}.empty{color:#888}\
form.filter,form.inline{display:inline-flex;gap:.5em;align-items:center;margin:.3em 1em .3em 0}\
pre{background:#f7f7f7;padding:.5em;max-width:60em;overflow:auto;white-space:pre-wrap}\
.pager{color:#555}.flash{background:#e8f5e9;padding:.4em}.warn{color:#b71c1c}\
svg text{font-size:12px;font-family:system-ui,sans-serif}dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}\
dt{font-weight:600}dd{margin:0}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_encode_their_query() {
        assert_eq!(href("sms/tasks", &[]), "/_cloudtwin/console/sms/tasks");
        assert_eq!(
            href("sms/tasks", &[("name", "a&b c"), ("state", "")]),
            "/_cloudtwin/console/sms/tasks?name=a%26b+c"
        );
    }

    #[test]
    fn sizes_and_durations_read_as_people_write_them() {
        assert_eq!(bytes(512), "512 bytes");
        assert_eq!(bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
        assert_eq!(duration(7), "7 s");
        assert_eq!(duration(185), "3 min 05 s");
        assert_eq!(duration(3720), "1 h 02 min");
    }
}
