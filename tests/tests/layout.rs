//! The workspace's layout rules, read from `cargo metadata`:
//!
//! * crates (`crates/*`) never depend on services (`services/*`);
//! * services depend only on crates: no service depends on another service,
//!   and a service is a thin binary (no library target to depend on);
//! * only `asynchronio-bus` depends on fred, the Redis client: everything
//!   else reaches Redis through `bus`.
//!
//! Each rule is checked on the real workspace, and on a made-up workspace
//! that breaks it, so that the check itself is known to catch a break.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

/// The one crate that may talk to Redis with fred.
const REDIS_CLIENT: &str = "fred";
const BUS: &str = "asynchronio-bus";

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// `cargo metadata --no-deps` of the workspace (no network: no resolution).
fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = match Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(root())
        .output()
    {
        Ok(output) => output,
        Err(error) => panic!("cannot run cargo metadata: {error}"),
    };
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    match serde_json::from_slice(&output.stdout) {
        Ok(value) => value,
        Err(error) => panic!("cargo metadata printed no JSON: {error}"),
    }
}

/// Where a workspace package lives: `crates`, `services` or `tests`.
fn area_of(manifest_path: &str, workspace_root: &str) -> String {
    let relative = manifest_path
        .strip_prefix(workspace_root)
        .unwrap_or(manifest_path)
        .trim_start_matches('/');
    relative.split('/').next().unwrap_or_default().to_owned()
}

/// Every break of the layout rules in `metadata`, one sentence each.
fn violations(metadata: &Value) -> Vec<String> {
    let root = metadata["workspace_root"].as_str().unwrap_or_default();
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    // name → area of every workspace package.
    let areas: Vec<(String, String)> = packages
        .iter()
        .map(|package| {
            let name = package["name"].as_str().unwrap_or_default().to_owned();
            let manifest = package["manifest_path"].as_str().unwrap_or_default();
            (name, area_of(manifest, root))
        })
        .collect();
    let area = |name: &str| {
        areas
            .iter()
            .find(|(package, _)| package == name)
            .map(|(_, area)| area.as_str())
    };
    let mut found = Vec::new();
    for package in &packages {
        let name = package["name"].as_str().unwrap_or_default();
        let Some(own_area) = area(name) else { continue };
        if !["crates", "services", "tests"].contains(&own_area) {
            found.push(format!(
                "{name} is in {own_area}/: packages live in crates/, services/ or tests/"
            ));
        }
        for dependency in package["dependencies"].as_array().into_iter().flatten() {
            let target = dependency["name"].as_str().unwrap_or_default();
            if target == REDIS_CLIENT && name != BUS {
                found.push(format!(
                    "{name} depends on {REDIS_CLIENT}: only {BUS} talks to Redis; add a routine to {BUS}"
                ));
            }
            match (own_area, area(target)) {
                ("crates", Some("services")) => found.push(format!(
                    "crate {name} depends on service {target}: move what it needs into a crate"
                )),
                ("services", Some(other)) if other != "crates" => found.push(format!(
                    "service {name} depends on {target} in {other}/: services depend only on crates"
                )),
                _ => {}
            }
        }
        if own_area == "services" {
            for target in package["targets"].as_array().into_iter().flatten() {
                let kinds = target["kind"].as_array().cloned().unwrap_or_default();
                if kinds.iter().any(|kind| kind != "bin") {
                    found.push(format!(
                        "service {name} has a {kinds:?} target {}: a service is one thin binary; put libraries in crates/",
                        target["name"]
                    ));
                }
            }
        }
    }
    found
}

#[test]
fn the_workspace_keeps_its_layout_rules() {
    let metadata = metadata();
    let packages = metadata["packages"].as_array().map_or(0, Vec::len);
    assert!(packages >= 10, "cargo metadata listed {packages} packages");
    let found = violations(&metadata);
    assert!(
        found.is_empty(),
        "layout rules broken:\n{}",
        found.join("\n")
    );
}

/// A package of a made-up workspace rooted at `/w`.
fn package(name: &str, dir: &str, dependencies: &[&str], target_kinds: &[&str]) -> Value {
    json!({
        "name": name,
        "manifest_path": format!("/w/{dir}/Cargo.toml"),
        "dependencies": dependencies.iter().map(|d| json!({"name": d})).collect::<Vec<_>>(),
        "targets": target_kinds.iter().map(|k| json!({"name": name, "kind": [k]})).collect::<Vec<_>>(),
    })
}

#[test]
fn the_check_catches_each_kind_of_break() {
    let clean = json!({"workspace_root": "/w", "packages": [
        package("asynchronio-bus", "crates/bus", &["fred"], &["lib"]),
        package("asynchronio-supervisor", "crates/supervisor", &["asynchronio-bus"], &["lib"]),
        package("process-manager", "services/process-manager", &["asynchronio-supervisor"], &["bin"]),
    ]});
    assert_eq!(violations(&clean), Vec::<String>::new());

    let broken = json!({"workspace_root": "/w", "packages": [
        package("asynchronio-bus", "crates/bus", &["fred"], &["lib"]),
        // A crate reaching into a service, and around bus to fred.
        package("asynchronio-cli", "crates/cli", &["process-manager", "fred"], &["bin"]),
        // A service with a library, depending on another service.
        package("process-manager", "services/process-manager", &[], &["lib", "bin"]),
        package("ws-gateway", "services/ws-gateway", &["process-manager"], &["bin"]),
    ]});
    let found = violations(&broken).join("\n");
    for expected in [
        "crate asynchronio-cli depends on service process-manager",
        "asynchronio-cli depends on fred",
        "service process-manager has a",
        "service ws-gateway depends on process-manager in services/",
    ] {
        assert!(
            found.contains(expected),
            "missing {expected:?} in:\n{found}"
        );
    }
}

// ---------------------------------------------------------------------------
// No source outside `crates/bus` names fred.
//
// The Cargo rule above keeps fred out of every other manifest; bus used to
// re-export fred and hand out its raw client, so a service could still call
// fred commands through bus. Now bus exposes those only under its
// `test-support` feature (the end-to-end tests play applications that talk
// to Redis directly), and this check reads the sources: no `.rs` file under
// `crates/` or `services/` other than `crates/bus` names fred in code, and
// no package outside `tests/` turns `test-support` on.

/// The bus feature that exposes fred, for the end-to-end tests only.
const TEST_SUPPORT: &str = "test-support";

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => panic!("cannot list {}: {error}", dir.display()),
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name == "target") {
                continue;
            }
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// The 1-based numbers of the lines whose code (comments left out) names
/// fred as an identifier: `fred::…`, `asynchronio_bus::fred`, `{fred, …}`.
fn lines_naming_fred(text: &str) -> Vec<usize> {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            let code = line.split("//").next().unwrap_or_default();
            code.match_indices("fred").any(|(at, word)| {
                let before = code[..at].chars().next_back();
                let after = code[at + word.len()..].chars().next();
                !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
            })
        })
        .map(|(number, _)| number + 1)
        .collect()
}

/// Every place outside `crates/bus` that names fred, one sentence each.
fn fred_outside_bus(files: &[(String, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (path, text) in files {
        if path.starts_with("crates/bus/") {
            continue;
        }
        for line in lines_naming_fred(text) {
            found.push(format!(
                "{path}:{line} names fred: only crates/bus talks to Redis with fred; add a routine to {BUS}"
            ));
        }
    }
    found
}

/// Packages outside `tests/` that turn on bus's `test-support` feature.
fn test_support_outside_tests(metadata: &Value) -> Vec<String> {
    let root = metadata["workspace_root"].as_str().unwrap_or_default();
    let mut found = Vec::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let name = package["name"].as_str().unwrap_or_default();
        let manifest = package["manifest_path"].as_str().unwrap_or_default();
        if area_of(manifest, root) == "tests" {
            continue;
        }
        for dependency in package["dependencies"].as_array().into_iter().flatten() {
            let features = dependency["features"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if dependency["name"] == BUS && features.iter().any(|f| f == TEST_SUPPORT) {
                found.push(format!(
                    "{name} enables {BUS}'s {TEST_SUPPORT} feature: it exposes fred, for the end-to-end tests only"
                ));
            }
        }
    }
    found
}

#[test]
fn no_source_outside_bus_names_fred() {
    let mut paths = Vec::new();
    for area in ["crates", "services"] {
        rust_files(&root().join(area), &mut paths);
    }
    let files: Vec<(String, String)> = paths
        .iter()
        .map(|path| {
            let relative = path.strip_prefix(root()).unwrap_or(path);
            let text = std::fs::read_to_string(path)
                .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
            (relative.to_string_lossy().replace('\\', "/"), text)
        })
        .collect();
    assert!(
        files.len() >= 50,
        "found only {} .rs files under crates/ and services/",
        files.len()
    );
    let mut found = fred_outside_bus(&files);
    found.extend(test_support_outside_tests(&metadata()));
    assert!(found.is_empty(), "fred outside bus:\n{}", found.join("\n"));
}

#[test]
fn the_fred_check_catches_each_kind_of_break() {
    let file = |path: &str, text: &str| (path.to_owned(), text.to_owned());
    let clean = [
        file("crates/bus/src/bus.rs", "use fred::clients::Client;\n"),
        // Words and comments that mention fred are not code naming it.
        file(
            "services/ws-gateway/src/dispatch.rs",
            "// On a cluster, fred announces a new node\nlet frederick = 1;\n",
        ),
    ];
    assert_eq!(fred_outside_bus(&clean), Vec::<String>::new());

    let broken = [
        file(
            "services/redis-bridge/src/ingest.rs",
            "use asynchronio_bus::fred::interfaces::StreamsInterface;\n",
        ),
        file("crates/cli/src/channels.rs", "\nuse fred::types::Value;\n"),
        file(
            "services/rest-api/src/main.rs",
            "use asynchronio_bus::{fred, Bus};\n",
        ),
    ];
    let found = fred_outside_bus(&broken).join("\n");
    for expected in [
        "services/redis-bridge/src/ingest.rs:1 names fred",
        "crates/cli/src/channels.rs:2 names fred",
        "services/rest-api/src/main.rs:1 names fred",
    ] {
        assert!(
            found.contains(expected),
            "missing {expected:?} in:\n{found}"
        );
    }

    let bus_with = |features: &[&str]| json!({"name": BUS, "features": features});
    let metadata = json!({"workspace_root": "/w", "packages": [
        {"name": "asynchronio-e2e", "manifest_path": "/w/tests/Cargo.toml",
         "dependencies": [bus_with(&[TEST_SUPPORT])]},
        {"name": "ws-gateway", "manifest_path": "/w/services/ws-gateway/Cargo.toml",
         "dependencies": [bus_with(&[TEST_SUPPORT])]},
        {"name": "asynchronio-cli", "manifest_path": "/w/crates/cli/Cargo.toml",
         "dependencies": [bus_with(&[])]},
    ]});
    assert_eq!(
        test_support_outside_tests(&metadata),
        vec![format!(
            "ws-gateway enables {BUS}'s {TEST_SUPPORT} feature: it exposes fred, for the end-to-end tests only"
        )]
    );
}
