//! The README's variable table and `.env.example` document exactly the environment variables the
//! code reads: a variable added to the code without documentation, or documented after the code
//! stopped reading it, fails here.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use zoombot::config::BotConfig;

type Names = BTreeSet<String>;

fn names(list: &[&str]) -> Names {
    list.iter().map(|n| (*n).to_owned()).collect()
}

/// An environment variable's name: upper-case words joined by underscores.
fn is_variable(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.contains('_')
        && !s.ends_with('_')
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The string literals of Rust `code` outside `#[cfg(test)]` items and doc comments, each with
/// whether it is an argument of the compile-time `env!`.
fn string_literals(code: &str) -> Vec<(String, bool)> {
    let tokens: TokenStream = code.parse().expect("the source is Rust tokens");
    let mut found = Vec::new();
    collect_literals(tokens, false, &mut found);
    found
}

fn collect_literals(tokens: TokenStream, in_env: bool, found: &mut Vec<(String, bool)>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut i = 0;
    while i < tokens.len() {
        let attribute = match (&tokens[i], tokens.get(i + 1)) {
            (TokenTree::Punct(p), Some(TokenTree::Group(g)))
                if p.as_char() == '#' && g.delimiter() == Delimiter::Bracket =>
            {
                Some(g.stream().to_string().replace(' ', ""))
            }
            _ => None,
        };
        match attribute.as_deref() {
            Some("cfg(test)") => {
                // The item it applies to ends with its body or its semicolon.
                i += 2;
                while i < tokens.len() {
                    let end = match &tokens[i] {
                        TokenTree::Group(g) => g.delimiter() == Delimiter::Brace,
                        TokenTree::Punct(p) => p.as_char() == ';',
                        _ => false,
                    };
                    i += 1;
                    if end {
                        break;
                    }
                }
                continue;
            }
            Some(a) if a.starts_with("doc=") => {
                i += 2;
                continue;
            }
            _ => {}
        }
        match &tokens[i] {
            TokenTree::Group(group) => {
                let env_call = i >= 2
                    && matches!(&tokens[i - 1], TokenTree::Punct(p) if p.as_char() == '!')
                    && matches!(&tokens[i - 2], TokenTree::Ident(name) if name == "env");
                collect_literals(group.stream(), env_call, found);
            }
            TokenTree::Literal(literal) => {
                let text = literal.to_string();
                let raw = text.strip_prefix('r').map(|r| r.trim_matches('#'));
                if let Some(value) = raw
                    .unwrap_or(&text)
                    .strip_prefix('"')
                    .and_then(|t| t.strip_suffix('"'))
                {
                    found.push((value.to_owned(), in_env));
                }
            }
            _ => {}
        }
        i += 1;
    }
}

/// The variables one source file reads: every string literal that is a variable's name in its
/// code outside `#[cfg(test)]` (the names `config::Env`'s readers and `std::env::var` take),
/// except names given to the compile-time `env!`; and `RUST_LOG` where tracing's `EnvFilter`
/// reads its default variable.
fn variables_in_source(source: &str) -> Names {
    let literals = string_literals(source);
    let mut read: Names = literals
        .into_iter()
        .filter(|(literal, in_env)| is_variable(literal) && !in_env)
        .map(|(literal, _)| literal)
        .collect();
    if source.contains("from_default_env") {
        read.insert("RUST_LOG".to_owned());
    }
    read
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every variable the code under `src/` reads.
fn variables_read() -> Names {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 10, "found only {files:?}");
    files
        .iter()
        .flat_map(|f| variables_in_source(&std::fs::read_to_string(f).expect("read")))
        .collect()
}

/// `NAME=…` lines of an env file; commented-out ones (`#NAME=…`) document a variable too.
fn variables_in_env_file(text: &str) -> Names {
    text.lines()
        .filter_map(|line| {
            let line = line.trim().trim_start_matches('#').trim_start();
            let (name, _) = line.split_once('=')?;
            is_variable(name).then(|| name.to_owned())
        })
        .collect()
}

/// The first column of the table in the README's `## Configuration` section.
fn variables_in_readme(text: &str) -> Names {
    let section = text
        .split("\n## ")
        .find(|s| s.starts_with("Configuration\n"))
        .expect("a ## Configuration section");
    section
        .lines()
        .filter_map(|line| {
            let cell = line.strip_prefix("| `")?;
            let name = &cell[..cell.find('`')?];
            is_variable(name).then(|| name.to_owned())
        })
        .collect()
}

/// One line per variable read but not documented, or documented but not read, per document.
fn disagreements(read: &Names, documents: &[(&str, &Names)]) -> Vec<String> {
    let mut problems = Vec::new();
    for (document, documented) in documents {
        for name in read.difference(documented) {
            problems.push(format!(
                "{name} is read by the code but missing from {document}"
            ));
        }
        for name in documented.difference(read) {
            problems.push(format!(
                "{name} is in {document} but the code does not read it"
            ));
        }
    }
    problems
}

fn project_file(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).expect(name)
}

#[test]
fn every_variable_the_code_reads_is_in_env_example_and_the_readme_and_nothing_else_is() {
    let read = variables_read();
    let example = variables_in_env_file(&project_file(".env.example"));
    let readme = variables_in_readme(&project_file("README.md"));

    let problems = disagreements(
        &read,
        &[(".env.example", &example), ("README.md's table", &readme)],
    );

    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for expected in [
        "DISCORD_TOKEN",
        "DATA_DIR",
        "HTTP_ADDR",
        "LOG_FORMAT",
        "RUST_LOG",
    ] {
        assert!(read.contains(expected), "{expected} not found in {read:?}");
    }
}

#[test]
fn the_comparison_names_what_is_undocumented_and_what_is_documented_but_unread() {
    let read = names(&["DATA_DIR", "HTTP_ADDR"]);
    let example = names(&["HTTP_ADDR", "OLD_SETTING"]);
    let readme = names(&["DATA_DIR", "HTTP_ADDR"]);

    let problems = disagreements(&read, &[(".env.example", &example), ("README", &readme)]);

    assert_eq!(
        problems,
        [
            "DATA_DIR is read by the code but missing from .env.example",
            "OLD_SETTING is in .env.example but the code does not read it",
        ]
    );
    assert!(disagreements(&read, &[("README", &readme)]).is_empty());
}

#[test]
fn the_scan_finds_reader_arguments_and_direct_reads_but_not_tests_comments_or_env_macros() {
    let source = r##"
        // Not code: "COMMENTED_OUT"
        const UA: &str = concat!("zoombot/", env!("CARGO_PKG_VERSION"));
        fn read(env: &mut Env) {
            let quote = '"'; let lifetime: &'static str = "not a NAME";
            let token = env.required("DISCORD_TOKEN", "the \"bot\" token");
            let keys = ["ZOOM_API_KEY", "ZOOM_API_SECRET"];
            let raw = r#"RAW_NAME"#;
            let direct = std::env::var("DIRECT_READ");
            let filter = EnvFilter::try_from_default_env();
            let text = "HTTP_ADDR is not an address: \"0.0.0.0:8080\"";
        }
        #[cfg(test)]
        mod tests { const X: &str = "ONLY_IN_TESTS"; }
    "##;

    let found = variables_in_source(source);

    assert_eq!(
        found,
        names(&[
            "DIRECT_READ",
            "DISCORD_TOKEN",
            "RAW_NAME",
            "RUST_LOG",
            "ZOOM_API_KEY",
            "ZOOM_API_SECRET"
        ])
    );
}

#[test]
fn the_scan_sees_every_variable_the_configuration_asks_for() {
    // What the configuration actually looks up, recorded on an empty environment (every reader
    // then asks for its variable: nothing short-circuits).
    let asked = RefCell::new(Names::new());
    let _ = BotConfig::from_lookup(&|key| {
        asked.borrow_mut().insert(key.to_owned());
        None
    });
    let asked = asked.into_inner();

    let read = variables_read();

    assert!(asked.len() >= 15, "{asked:?}");
    let unseen: Vec<_> = asked.difference(&read).collect();
    assert!(unseen.is_empty(), "the scan misses {unseen:?}");
}

#[test]
fn commented_out_lines_document_a_variable_and_prose_does_not() {
    let text = "# The token.\nDISCORD_TOKEN=\n#ZOOM_HOST_USER=me\n# e.g. info,zoombot=debug\n  # HTTP_ADDR=0.0.0.0:8080\n";
    assert_eq!(
        variables_in_env_file(text),
        names(&["DISCORD_TOKEN", "HTTP_ADDR", "ZOOM_HOST_USER"])
    );
    let readme = "# x\n\n## Configuration\n\n| variable | default |\n|---|---|\n| `DATA_DIR` | `./data` |\n\n## Other\n\n| `NOT_HERE` | x |\n";
    assert_eq!(variables_in_readme(readme), names(&["DATA_DIR"]));
}

#[test]
fn the_readme_gives_the_two_commands_and_the_credentials_check() {
    let readme = project_file("README.md");
    for line in [
        "cargo run --release      # runs zoombot (reads .env)",
        "cargo test               # runs the whole test suite; no network, no Discord, no Zoom needed",
        "cargo run --release -- doctor",
    ] {
        assert!(readme.lines().any(|l| l.trim() == line), "missing: {line}");
    }
    // The link's permissions are the ones doctor checks, so the two cannot drift apart.
    let invite = format!(
        "https://discord.com/oauth2/authorize?client_id=APPLICATION_ID&scope=bot+applications.commands&permissions={}",
        zoombot::cli::doctor::REQUIRED_PERMISSIONS
    );
    assert!(
        readme.lines().any(|l| l.trim() == invite),
        "missing: {invite}"
    );
    for scope in zoombot::zoom::auth::REQUIRED_SCOPES {
        for name in [scope.granular, scope.classic] {
            assert!(
                readme.contains(&format!("`{name}`")),
                "scope {name} missing"
            );
        }
    }
}
