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
