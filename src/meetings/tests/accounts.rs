//! A `/zoom link` begun and finished against the store: single use, expiry, nothing secret in
//! the clear. (The exchange with Zoom itself is tested against the fake Zoom: tests/it/accounts.rs.)

use super::*;
use crate::meetings::accounts::{Accounts, LinkError, state_key};
use crate::sealed::Sealer;
use crate::zoom::user_auth::{UserApp, UserAppConfig};

fn accounts(store: &Arc<MemoryStore>) -> Accounts {
    let config = UserAppConfig {
        client_id: "client".into(),
        client_secret: Secret::new("secret"),
        // Never reached by these tests.
        token_url: "http://127.0.0.1:9/oauth/token".into(),
        redirect_uri: "http://127.0.0.1:9/zoom/oauth/callback".into(),
    };
    Accounts::new(
        UserApp::new(reqwest::Client::new(), config),
        Sealer::derive(&Secret::new("secret")),
        Arc::clone(store) as Arc<dyn Store>,
        Arc::new(MemoryZoom::default()),
        None,
    )
}

fn who() -> Requester {
    Requester {
        guild: GuildId(1),
        channel: ChannelId(2),
        member: MemberId(3),
        manage_guild: false,
        roles: Vec::new(),
    }
}

fn state_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("a state")
}

#[tokio::test]
async fn an_expired_link_is_refused_and_used_up() {
    let store = Arc::new(MemoryStore::new());
    let accounts = accounts(&store);
    let state = state_of(&accounts.begin(&who(), "interaction").await.unwrap());
    let key = state_key(&state);
    let mut pending = store.take_pending_link(&key).await.unwrap().expect("kept");
    pending.expires_at = Timestamp::now() - jiff::SignedDuration::from_secs(1);
    store.put_pending_link(&key, &pending).await.unwrap();

    let first = accounts.finish(Some(&state), Some("code"), None).await;
    assert_eq!(first, Err(LinkError::Expired));
    let again = accounts.finish(Some(&state), Some("code"), None).await;
    assert_eq!(
        again,
        Err(LinkError::UnknownState),
        "used up by the first try"
    );
    assert_eq!(accounts.status(who().member).await.unwrap(), None);
}

#[tokio::test]
async fn a_declined_consent_uses_the_link_up_and_links_nothing() {
    let store = Arc::new(MemoryStore::new());
    let accounts = accounts(&store);
    let state = state_of(&accounts.begin(&who(), "interaction").await.unwrap());
    let declined = accounts
        .finish(Some(&state), None, Some("access_denied"))
        .await;
    assert_eq!(declined, Err(LinkError::Denied));
    let again = accounts.finish(Some(&state), Some("code"), None).await;
    assert_eq!(again, Err(LinkError::UnknownState));
}

#[tokio::test]
async fn the_pending_link_keeps_its_secrets_sealed_under_a_hash_of_the_state() {
    let store = Arc::new(MemoryStore::new());
    let accounts = accounts(&store);
    let url = accounts
        .begin(&who(), "interaction-token-123")
        .await
        .unwrap();
    let state = state_of(&url);
    assert!(
        store.take_pending_link(&state).await.unwrap().is_none(),
        "not under the state itself"
    );
    let pending = store
        .take_pending_link(&state_key(&state))
        .await
        .unwrap()
        .expect("under its hash");
    assert_eq!((pending.member, pending.guild), (who().member, who().guild));
    assert!(!pending.sealed.contains("interaction-token-123"));
    assert!(url.contains("code_challenge_method=S256"), "{url}");
}
