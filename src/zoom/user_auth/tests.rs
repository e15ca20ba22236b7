//! The user app client's pure parts: links, PKCE, the reading of Zoom's answers.
use super::*;

fn config(token_url: &str) -> UserAppConfig {
    UserAppConfig {
        client_id: "client id&=".into(),
        client_secret: Secret::new("s3cret"),
        token_url: token_url.into(),
        redirect_uri: "https://bot.example/zoom/oauth/callback".into(),
    }
}

#[test]
fn the_authorize_link_carries_exactly_the_pkce_query() {
    let app = UserApp::new(
        reqwest::Client::new(),
        config("https://zoom.us/oauth/token"),
    );
    let link = app.authorize_link("st/+=", "chal-_");
    let (base, query) = link.split_once('?').unwrap();
    assert_eq!(base, "https://zoom.us/oauth/authorize");
    let pairs: Vec<_> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let redirect = "https://bot.example/zoom/oauth/callback";
    let expected = [
        ("response_type", "code"),
        ("client_id", "client id&="),
        ("redirect_uri", redirect),
        ("state", "st/+="),
        ("code_challenge", "chal-_"),
        ("code_challenge_method", "S256"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    assert_eq!(pairs, expected);
    assert!(!link.contains("s3cret"));
}

#[test]
fn authorize_and_revoke_urls_sit_beside_the_token_url() {
    for (token, base) in [
        ("https://zoom.us/oauth/token", "https://zoom.us/oauth"),
        (
            "https://zoomgov.com/oauth/token",
            "https://zoomgov.com/oauth",
        ),
        ("https://zoom.us/oauth/token/", "https://zoom.us/oauth"),
        ("http://127.0.0.1:9/token", "http://127.0.0.1:9"),
    ] {
        assert_eq!(config(token).authorize_url(), format!("{base}/authorize"));
        assert_eq!(config(token).revoke_url(), format!("{base}/revoke"));
    }
}

#[test]
fn pkce_matches_rfc_7636_appendix_b() {
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    assert_eq!(Pkce::challenge_of(verifier), challenge);
}

#[test]
fn generated_verifiers_and_states_are_43_fresh_base64url_characters() {
    let alphabet = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    let ok = |s: &str| s.len() == 43 && s.bytes().all(alphabet);
    let (a, b) = (Pkce::generate(), Pkce::generate());
    assert!(ok(a.verifier.expose()) && ok(b.verifier.expose()));
    assert_ne!(a.verifier, b.verifier);
    assert_eq!(a.challenge, Pkce::challenge_of(a.verifier.expose()));
    assert!(!format!("{a:?}").contains(a.verifier.expose()));
    let (s, t) = (random_state(), random_state());
    assert!(ok(&s) && ok(&t) && s != t);
}

#[test]
fn a_token_response_is_a_grant_whose_debug_shows_no_token() {
    let body = br#"{"access_token":"AT-1","token_type":"bearer","refresh_token":"RT-2",
        "expires_in":3599,"scope":"meeting:write:meeting user:read:user"}"#;
    let grant = grant_from(200, body).unwrap();
    assert_eq!(grant.access_token.expose(), "AT-1");
    assert_eq!(grant.refresh_token.expose(), "RT-2");
    assert_eq!(grant.expires_in, Duration::from_secs(3599));
    assert_eq!(grant.scopes, ["meeting:write:meeting", "user:read:user"]);
    let debug = format!("{grant:?}");
    assert!(
        !debug.contains("AT-1") && !debug.contains("RT-2"),
        "{debug}"
    );
}

fn failure(status: u16, body: &str) -> GrantError {
    grant_from(status, body.as_bytes()).unwrap_err()
}

const INVALID_GRANT: &str = r#"{"reason":"Invalid Token!","error":"invalid_grant"}"#;
const INVALID_CLIENT: &str = r#"{"reason":"Bad client","error":"invalid_client"}"#;

#[test]
fn zoom_answers_are_classified() {
    let reason = "Invalid Token!".to_owned();
    assert_eq!(
        failure(400, INVALID_GRANT),
        GrantError::InvalidGrant { reason }
    );
    assert!(matches!(
        failure(401, INVALID_GRANT),
        GrantError::InvalidGrant { .. }
    ));
    let (error, reason) = ("invalid_client".to_owned(), "Bad client".to_owned());
    let refused = GrantError::Refused {
        status: 401,
        error,
        reason,
    };
    assert_eq!(failure(401, INVALID_CLIENT), refused);
    // Lenient: an unreadable error body is still a refusal.
    let html = failure(403, "<html>nope</html>");
    assert!(matches!(html, GrantError::Refused { status: 403, ref error, .. } if error.is_empty()));
    let unavailable = |e| matches!(e, GrantError::Unavailable { sent: true, .. });
    assert!(unavailable(failure(503, INVALID_GRANT)));
    assert!(unavailable(failure(200, "")));
    // A 2xx without a whole token: unreadable, and the token does not leak into the text.
    let err = failure(200, r#"{"access_token":"AT-1"}"#);
    assert!(err.to_string().contains("could not be read") && unavailable(err.clone()));
    assert!(!err.to_string().contains("AT-1"));
}

#[test]
fn revoking_an_unknown_token_is_done() {
    let unknown = r#"{"reason":"Invalid Token!","error":"invalid_request"}"#;
    for (status, body) in [
        (200, r#"{"status":"success"}"#),
        (400, unknown),
        (400, INVALID_GRANT),
    ] {
        assert_eq!(revoke_from(status, body.as_bytes()), Ok(()), "{body}");
    }
    let refused = revoke_from(401, INVALID_CLIENT.as_bytes());
    assert!(matches!(
        refused,
        Err(GrantError::Refused { status: 401, .. })
    ));
    let down = revoke_from(502, b"");
    assert!(matches!(
        down,
        Err(GrantError::Unavailable { sent: true, .. })
    ));
}
