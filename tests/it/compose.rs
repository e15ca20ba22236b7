//! The several-replica example (compose.yaml and deploy/Caddyfile) read back as Compose would:
//! no Docker engine here, so what `docker compose config` would catch is checked by reading it.

use std::path::Path;

use yaml_rust2::{Yaml, YamlLoader};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn compose() -> Yaml {
    let text = std::fs::read_to_string(root().join("compose.yaml")).expect("compose.yaml");
    let mut docs = YamlLoader::load_from_str(&text).expect("compose.yaml is YAML");
    assert_eq!(docs.len(), 1, "one document");
    docs.remove(0)
}

fn text(yaml: &Yaml) -> String {
    match yaml {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(n) => n.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

/// A service's `environment`, as a mapping (Compose also takes a list of `KEY=value`).
fn environment(service: &Yaml) -> Vec<(String, String)> {
    match &service["environment"] {
        Yaml::Hash(map) => map.iter().map(|(k, v)| (text(k), text(v))).collect(),
        Yaml::Array(list) => list
            .iter()
            .map(|item| {
                let item = text(item);
                let (k, v) = item.split_once('=').expect("KEY=value");
                (k.to_owned(), v.to_owned())
            })
            .collect(),
        Yaml::BadValue => Vec::new(),
        other => panic!("environment: {other:?}"),
    }
}

fn env_of<'a>(env: &'a [(String, String)], key: &str) -> Option<&'a str> {
    env.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn replicas(compose: &Yaml) -> Vec<(String, Yaml)> {
    let services = compose["services"].as_hash().expect("services");
    services
        .iter()
        .filter(|(_, s)| {
            environment(s)
                .iter()
                .any(|(k, v)| k == "DISCORD_MODE" && v == "http")
        })
        .map(|(name, s)| (text(name), s.clone()))
        .collect()
}

#[test]
fn the_example_runs_two_http_replicas_on_the_postgres_service_through_one_rest_proxy() {
    let compose = compose();
    let services = &compose["services"];
    let postgres = &services["postgres"];
    assert!(
        text(&postgres["image"]).starts_with("postgres:"),
        "a PostgreSQL service"
    );
    let pg_env = environment(postgres);
    let (user, db) = (
        env_of(&pg_env, "POSTGRES_USER").expect("POSTGRES_USER"),
        env_of(&pg_env, "POSTGRES_DB").expect("POSTGRES_DB"),
    );

    let replicas = replicas(&compose);
    assert_eq!(replicas.len(), 2, "two replicas in DISCORD_MODE=http");
    for (name, replica) in &replicas {
        let env = environment(replica);
        let url = env_of(&env, "DATABASE_URL").unwrap_or_else(|| panic!("{name}: DATABASE_URL"));
        let parsed = reqwest::Url::parse(&url.replace("${POSTGRES_PASSWORD}", "pw"))
            .unwrap_or_else(|e| panic!("{name}: {url}: {e}"));
        assert_eq!(parsed.scheme(), "postgres");
        assert_eq!(
            parsed.host_str(),
            Some("postgres"),
            "{name}: the postgres service"
        );
        assert_eq!(parsed.username(), user, "{name}");
        assert_eq!(parsed.path(), format!("/{db}"), "{name}");

        let proxy = env_of(&env, "DISCORD_API_BASE").expect("DISCORD_API_BASE");
        let proxy = reqwest::Url::parse(proxy).expect("a URL");
        let proxy_service = &services[proxy.host_str().expect("a host")];
        assert!(
            !proxy_service.is_badvalue(),
            "{name}: DISCORD_API_BASE names a service of the file"
        );
        assert_eq!(
            env_of(&environment(proxy_service), "PORT").map(str::to_owned),
            proxy.port().map(|p| p.to_string()),
            "the proxy listens where the replicas send"
        );
        assert_eq!(env_of(&env, "HTTP_ADDR"), Some("0.0.0.0:8080"));
        let waits: Vec<String> = replica["depends_on"]
            .as_hash()
            .map(|m| m.keys().map(text).collect())
            .unwrap_or_default();
        assert!(
            waits.iter().any(|w| w == "migrate"),
            "{name}: after migrate"
        );
    }
    assert_eq!(
        services["migrate"]["command"]
            .as_vec()
            .map(|c| c.iter().map(text).collect::<Vec<_>>()),
        Some(vec!["migrate".to_owned()])
    );
}

#[test]
fn every_variable_the_example_sets_or_asks_for_is_documented() {
    let compose = compose();
    let example = std::fs::read_to_string(root().join(".env.example")).expect(".env.example");
    let documented = |key: &str| {
        example
            .lines()
            .any(|l| l.trim_start_matches('#').starts_with(&format!("{key}=")))
    };
    for (name, replica) in replicas(&compose) {
        for (key, _) in environment(&replica) {
            assert!(
                documented(&key),
                "{name} sets {key}, which .env.example does not document"
            );
        }
    }
    // What Compose asks of the operator's .env (not the bot's variables): the README says.
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let section = readme
        .split("## Running several replicas")
        .nth(1)
        .expect("README has \"Running several replicas\"");
    let text = std::fs::read_to_string(root().join("compose.yaml")).unwrap();
    for asked in text.split("${").skip(1) {
        let key: String = asked
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || *c == '_')
            .collect();
        assert!(
            documented(&key) || section.contains(&key),
            "compose.yaml asks for {key}, which neither .env.example nor the README's section names"
        );
    }
}

#[test]
fn the_balancer_spreads_discords_and_zooms_endpoints_over_both_replicas() {
    let compose = compose();
    let caddyfile = std::fs::read_to_string(root().join("deploy/Caddyfile")).expect("Caddyfile");
    let mounted = compose["services"]["balancer"]["volumes"]
        .as_vec()
        .expect("volumes")
        .iter()
        .map(text)
        .any(|v| v.starts_with("./deploy/Caddyfile:/etc/caddy/Caddyfile"));
    assert!(mounted, "the balancer reads deploy/Caddyfile");
    let upstreams = caddyfile
        .lines()
        .find(|l| l.trim_start().starts_with("reverse_proxy"))
        .expect("a reverse_proxy");
    for (name, _) in replicas(&compose) {
        assert!(
            upstreams.contains(&format!("{name}:8080")),
            "{name} is behind the balancer: {upstreams}"
        );
    }
    let public = caddyfile
        .lines()
        .find(|l| l.trim_start().starts_with("@public"))
        .expect("the public paths");
    for path in [
        "/discord/interactions",
        "/zoom/webhook",
        "/zoom/oauth/callback",
    ] {
        assert!(public.contains(path), "{path} reaches the replicas");
    }
    assert!(!public.contains("/metrics"), "metrics stay inside");
    assert!(caddyfile.contains("round_robin"));
}
