//! `DATABASE_URL` as it may be shown: the password never leaves this process in a message or a
//! log line.

/// What a password is shown as.
const HIDDEN: &str = "***";

/// `url` with its password (in the user info, a `password=` query parameter, or a `password=`
/// key of the `key=value` form) replaced by `***`.
pub fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let (authority, tail) = rest.split_at(end);
            let authority = match authority.rsplit_once('@') {
                Some((user_info, host)) => match user_info.split_once(':') {
                    Some((user, _)) => format!("{user}:{HIDDEN}@{host}"),
                    None => authority.to_owned(),
                },
                None => authority.to_owned(),
            };
            format!("{scheme}://{authority}{}", redact_query(tail))
        }
        None => redact_key_values(url),
    }
}

/// The path, query and fragment of a URL with any `password=` parameter hidden.
fn redact_query(tail: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else {
        return tail.to_owned();
    };
    let (query, fragment) = match query.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (query, None),
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}={HIDDEN}"),
            _ => pair.to_owned(),
        })
        .collect();
    let fragment = fragment.map(|f| format!("#{f}")).unwrap_or_default();
    format!("{path}?{}{fragment}", query.join("&"))
}

/// libpq's `key=value key='quoted value'` form with the value of `password` hidden.
fn redact_key_values(conninfo: &str) -> String {
    let mut out = String::with_capacity(conninfo.len());
    let mut rest = conninfo;
    while let Some(at) = rest.find("password") {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let after_key = &from["password".len()..];
        let trimmed = after_key.trim_start();
        // Only a whole key: `password =`, at the start or after a space.
        let whole = before.is_empty() || before.ends_with(char::is_whitespace);
        let Some(value) = trimmed.strip_prefix('=').filter(|_| whole) else {
            out.push_str("password");
            rest = after_key;
            continue;
        };
        let value = value.trim_start();
        out.push_str("password=");
        out.push_str(HIDDEN);
        rest = skip_value(value);
    }
    out.push_str(rest);
    out
}

/// What follows one `key=value` value (quoted with `'`, `\` escaping, or up to a space).
fn skip_value(value: &str) -> &str {
    if let Some(quoted) = value.strip_prefix('\'') {
        let mut escaped = false;
        for (i, c) in quoted.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '\'' => return &quoted[i + 1..],
                _ => {}
            }
        }
        ""
    } else {
        value
            .find(char::is_whitespace)
            .map_or("", |end| &value[end..])
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn the_password_of_every_form_is_hidden_and_the_rest_kept() {
        for (url, shown) in [
            (
                "postgres://zoombot:s3cr%40t@db.example:5432/zoombot",
                "postgres://zoombot:***@db.example:5432/zoombot",
            ),
            (
                "postgresql://u:p:q@h/db?sslmode=disable",
                "postgresql://u:***@h/db?sslmode=disable",
            ),
            (
                "postgres://u@h/db?password=hunter2&application_name=x",
                "postgres://u@h/db?password=***&application_name=x",
            ),
            (
                "postgres://postgres@%2Ftmp%2Fpg/postgres",
                "postgres://postgres@%2Ftmp%2Fpg/postgres",
            ),
            ("postgres://h", "postgres://h"),
            (
                "host=/tmp user=zb password=hunter2 dbname=zb",
                "host=/tmp user=zb password=*** dbname=zb",
            ),
            (
                "host=h password = 'a b\\' c' dbname=zb",
                "host=h password=*** dbname=zb",
            ),
            ("user=mypassword host=h", "user=mypassword host=h"),
        ] {
            assert_eq!(redact(url), shown, "{url}");
        }
    }

    #[test]
    fn no_part_of_a_password_survives() {
        for url in [
            "postgres://zb:hunter2@h/db",
            "postgres://zb:hunter2@h:1@x/db",
            "postgres://zb@h/db?sslmode=disable&password=hunter2#frag",
            "dbname=zb password='hunter2'",
            "password=hunter2",
        ] {
            assert!(!redact(url).contains("hunter2"), "{url} → {}", redact(url));
        }
    }
}
