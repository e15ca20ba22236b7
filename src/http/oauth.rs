//! `GET /zoom/oauth/callback`: where Zoom sends a member back after `/zoom link`. Answers a
//! small page of its own — no script, no third-party asset, a CSP that allows none — naming the
//! linked account, or saying what went wrong (400) with nothing stored.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::HttpState;
use crate::meetings::LinkError;

/// Nothing but the page's own inline style; not framable; no referrer (the URL held a code).
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; \
                   base-uri 'none'; form-action 'none'";

/// `text` safe inside HTML.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page: a title and one paragraph.
pub(super) fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} — zoombot</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:34em;margin:4em auto;padding:0 1em;\
         line-height:1.5;color:#222}}h1{{font-size:1.4em}}</style></head>\
         <body><h1>{title}</h1><p>{text}</p></body></html>\n",
        title = escaped(title),
        text = escaped(text)
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// The handler of `GET /zoom/oauth/callback`.
pub(super) async fn callback(
    State(state): State<HttpState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(accounts) = state.accounts.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let param = |name: &str| query.get(name).map(String::as_str);
    match accounts
        .finish(param("state"), param("code"), param("error"))
        .await
    {
        Ok(linked) => page(
            StatusCode::OK,
            "Zoom account linked",
            &format!(
                "Linked as {}. Go back to Discord: the meetings you schedule there are now hosted in \
                 this Zoom account. /zoom unlink undoes it.",
                linked.email
            ),
        ),
        Err(err) => {
            tracing::info!(reason = %err, "a Zoom link callback linked nothing");
            let status = match err {
                LinkError::Unavailable(_) => StatusCode::BAD_GATEWAY,
                _ => StatusCode::BAD_REQUEST,
            };
            page(status, "Nothing was linked", &capitalised(&err.to_string()))
        }
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect::<String>() + "."
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_an_email_is_shown_not_run() {
        assert_eq!(
            escaped("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
    }

    #[test]
    fn a_reason_reads_as_a_sentence() {
        assert_eq!(capitalised("this link expired"), "This link expired.");
    }
}
