//! deploy/grafana/asynchronio.json, the Grafana dashboard: Grafana cannot
//! run here, so this checks what can go wrong without it. The JSON parses
//! as a dashboard with a Prometheus data source variable, and every metric
//! (and every label it groups or filters by) that a query names is one the
//! real services export: a redis-server, a gateway, a bridge, rest-api and
//! a process manager run, traffic makes their labelled series appear, and
//! each `/metrics` is scraped.
//!
//! Names are compared with the exposition's sample names as served, so a
//! histogram is `_bucket`, `_sum` or `_count` in a query, as Prometheus
//! stores it, and a `_bucket` must belong to a metric of TYPE histogram.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use asynchronio_e2e::manager::{command, wait_states};
use asynchronio_e2e::scrape::{scrape, scrape_until};
use asynchronio_e2e::{Manager, RedisServer, Service, WsClient, free_port, http};
use asynchronio_protocol::process::{ProcessAction, ProcessStatus};
use asynchronio_protocol::{ClientFrame, Codec, EnvelopeDraft, Offset, ServerFrame, Since};
use bytes::Bytes;

const DASHBOARD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../deploy/grafana/asynchronio.json"
);

/// PromQL words that are neither metrics nor functions called with `(`
/// right after their name: aggregations (`sum by (le) (...)`), binary
/// operators and modifiers.
const KEYWORDS: [&str; 22] = [
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "atan2",
    "inf",
    "nan",
    "group_left",
    "group_right",
];

/// Words followed by a parenthesised list of label names.
const LABEL_LISTS: [&str; 6] = [
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

/// What one PromQL expression names.
#[derive(Debug, Default, PartialEq)]
struct Named {
    /// Metric (sample) names.
    metrics: BTreeSet<String>,
    /// Label names in `by (...)`, `without (...)`, `on (...)` lists and in
    /// `{label="..."}` matchers.
    labels: BTreeSet<String>,
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// Reads a PromQL expression well enough to list the metrics and labels it
/// names: string literals, range and subquery brackets, numbers, durations
/// and Grafana `$variables` are skipped; an identifier followed by `(` is a
/// function; [`KEYWORDS`] are operators; the rest are metric names.
fn named(expr: &str) -> Named {
    let chars: Vec<char> = expr.chars().collect();
    let mut found = Named::default();
    let mut i = 0;
    let skip_spaces = |mut i: usize| {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        i
    };
    let read_name = |mut i: usize| {
        let start = i;
        while i < chars.len() && is_name_char(chars[i]) {
            i += 1;
        }
        (chars[start..i].iter().collect::<String>(), i)
    };
    let skip_string = |mut i: usize| {
        let quote = chars[i];
        i += 1;
        while i < chars.len() && chars[i] != quote {
            if chars[i] == '\\' && quote != '`' {
                i += 1;
            }
            i += 1;
        }
        i + 1
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' || c == '`' {
            i = skip_string(i);
        } else if c == '[' {
            // A range or subquery: durations and $__rate_interval.
            while i < chars.len() && chars[i] != ']' {
                i += 1;
            }
            i += 1;
        } else if c == '$' {
            // A Grafana variable: $name or ${name}.
            i += 1;
            if i < chars.len() && chars[i] == '{' {
                while i < chars.len() && chars[i] != '}' {
                    i += 1;
                }
                i += 1;
            } else {
                i = read_name(i).1;
            }
        } else if c == '{' {
            // Label matchers: the names before =, !=, =~, !~.
            i += 1;
            loop {
                i = skip_spaces(i);
                if i >= chars.len() || chars[i] == '}' {
                    i += 1;
                    break;
                }
                if chars[i] == ',' {
                    i += 1;
                    continue;
                }
                if chars[i] == '"' || chars[i] == '\'' || chars[i] == '`' {
                    i = skip_string(i);
                    continue;
                }
                if is_name_start(chars[i]) {
                    let (label, next) = read_name(i);
                    found.labels.insert(label);
                    i = next;
                } else {
                    i += 1;
                }
            }
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            // A number or a duration (0.99, 1e3, 5m).
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
        } else if is_name_start(c) {
            let (word, next) = read_name(i);
            let after = skip_spaces(next);
            let call = chars.get(after) == Some(&'(');
            if LABEL_LISTS.contains(&word.as_str()) && call {
                let mut j = after + 1;
                while j < chars.len() && chars[j] != ')' {
                    if is_name_start(chars[j]) {
                        let (label, end) = read_name(j);
                        found.labels.insert(label);
                        j = end;
                    } else {
                        j += 1;
                    }
                }
                i = j + 1;
                continue;
            }
            if !call && !KEYWORDS.contains(&word.as_str()) {
                found.metrics.insert(word);
            }
            i = next;
        } else {
            i += 1;
        }
    }
    found
}

/// One service's exposition as served: each sample name with the label
/// names its series carry, and each metric family's TYPE.
#[derive(Debug, Default)]
struct Exposition {
    labels: BTreeMap<String, BTreeSet<String>>,
    types: BTreeMap<String, String>,
}

impl Exposition {
    fn read(&mut self, text: &str) {
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let mut words = rest.split_whitespace();
                if let (Some(name), Some(kind)) = (words.next(), words.next()) {
                    self.types.insert(name.to_owned(), kind.to_owned());
                }
                continue;
            }
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let end = line.find(['{', ' ']).unwrap_or(line.len());
            let labels = self.labels.entry(line[..end].to_owned()).or_default();
            if line[end..].starts_with('{') {
                let named = named(&line[end..]);
                labels.extend(named.labels);
            }
        }
    }
}

/// Every PromQL expression of the dashboard, with its panel's title: panel
/// targets (rows' nested panels too) and templating queries.
fn queries(dashboard: &serde_json::Value) -> Vec<(String, String)> {
    fn walk(panels: &serde_json::Value, out: &mut Vec<(String, String)>) {
        for panel in panels.as_array().into_iter().flatten() {
            let title = panel["title"].as_str().unwrap_or("(untitled)");
            for target in panel["targets"].as_array().into_iter().flatten() {
                match target["expr"].as_str() {
                    Some(expr) => out.push((title.to_owned(), expr.to_owned())),
                    None => panic!("panel {title:?}: a target without expr: {target}"),
                }
            }
            walk(&panel["panels"], out);
        }
    }
    let mut out = Vec::new();
    walk(&dashboard["panels"], &mut out);
    for variable in dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if variable["type"] == "query" {
            let query = variable["query"]["query"]
                .as_str()
                .or_else(|| variable["query"].as_str())
                .unwrap_or_default();
            out.push((format!("variable {}", variable["name"]), query.to_owned()));
        }
    }
    out
}

fn dashboard() -> serde_json::Value {
    let text = match std::fs::read_to_string(DASHBOARD) {
        Ok(text) => text,
        Err(error) => panic!("cannot read {DASHBOARD}: {error}"),
    };
    match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(error) => panic!("{DASHBOARD} is not JSON: {error}"),
    }
}

#[test]
fn promql_reader_finds_metrics_and_labels() {
    let found = named(
        r#"histogram_quantile(0.99, sum by (le, route) (rate(asynchronio_rest_request_duration_seconds_bucket{job=~"$job", status!="429"}[$__rate_interval])))
           / on (instance) group_left max without (code) (bogus_metric_total offset 5m) > bool 1e3"#,
    );
    assert_eq!(
        found.metrics,
        BTreeSet::from([
            "asynchronio_rest_request_duration_seconds_bucket".to_owned(),
            "bogus_metric_total".to_owned(),
        ])
    );
    assert_eq!(
        found.labels,
        ["le", "route", "job", "status", "instance", "code"]
            .into_iter()
            .map(str::to_owned)
            .collect()
    );
}

#[test]
fn dashboard_is_a_grafana_dashboard_over_a_prometheus_variable() {
    let dashboard = dashboard();
    assert!(dashboard["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(dashboard["uid"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(dashboard["schemaVersion"].as_u64().is_some());
    let variable = dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| v["type"] == "datasource")
        .unwrap_or_else(|| panic!("no data source variable"));
    assert_eq!(variable["query"], "prometheus");
    let name = variable["name"].as_str().unwrap_or_default();
    let mut ids = BTreeSet::new();
    let mut stack = vec![dashboard["panels"].clone()];
    let mut panels = 0;
    while let Some(list) = stack.pop() {
        for panel in list.as_array().into_iter().flatten() {
            let title = panel["title"].as_str().unwrap_or_default();
            assert!(
                ids.insert(
                    panel["id"]
                        .as_u64()
                        .unwrap_or_else(|| panic!("{title}: no id"))
                ),
                "{title}: duplicate panel id"
            );
            let grid = &panel["gridPos"];
            for key in ["h", "w", "x", "y"] {
                assert!(grid[key].is_u64(), "{title}: gridPos.{key}");
            }
            if panel["type"] == "row" {
                stack.push(panel["panels"].clone());
                continue;
            }
            panels += 1;
            // Every query goes to the data source the variable picks.
            assert_eq!(
                panel["datasource"]["uid"].as_str(),
                Some(format!("${{{name}}}").as_str()),
                "{title}: data source"
            );
            assert!(
                panel["targets"].as_array().is_some_and(|t| !t.is_empty()),
                "{title}: no query"
            );
        }
    }
    assert!(panels >= 10, "only {panels} panels");
}

#[tokio::test]
async fn every_dashboard_query_names_a_metric_the_services_export() {
    const ADMIN: &str = "grafana-admin-key";
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let gateway = Service::gateway(&redis.url(), &[]);
    let bridge = Service::bridge(&redis.url(), &["--lease-ms", "600"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("api.db").display());
    let rest = Service::rest(&redis.url(), &database, ADMIN, &[]);
    let manager_port = free_port();
    let listen = format!("127.0.0.1:{manager_port}");
    let script = format!(
        "{}/../examples/processors/tag.sh",
        env!("CARGO_MANIFEST_DIR")
    );
    let _manager = Manager::start_with_args(
        &redis.url(),
        &format!(
            r#"
[process.sleeper]
command = "sleep"
args = ["300"]
backoff = {{ initial_ms = 50, max_ms = 100, reset_after_ms = 60000 }}

[[pipeline]]
name = "tag"
input = "raw"
outputs = ["tagged"]
command = "sh"
args = ["{script}"]
"#
        ),
        &["--metrics-listen", &listen],
    );

    // Gateway: two subscribers, one of which leaves; an error frame; a
    // recovery with `since`.
    let mut first = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    first.subscribe("news", None).await;
    let mut second = WsClient::connect(&gateway.ws_url(), Codec::MsgPack).await;
    second.subscribe("news", None).await;
    // Bridge: raw PUBLISH (once it holds its partitions), ingest entries,
    // one rejected.
    let mut delivered = 0;
    for _ in 0..50 {
        redis.cli(&["PUBLISH", "asynchronio:publish:news", r#"{"warm":true}"#]);
        if let Ok(message) = tokio::time::timeout(Duration::from_millis(200), first.message()).await
        {
            delivered = message.1;
            break;
        }
    }
    assert_eq!(delivered, 1, "raw PUBLISH never reached the client");
    for entry in [("news", r#"{"ingested":1}"#), ("bad channel", "x")] {
        redis.cli(&[
            "XADD",
            "asynchronio:ingest",
            "*",
            "channel",
            entry.0,
            "data",
            entry.1,
        ]);
    }
    // REST: publishes and a 404.
    let auth = format!("Bearer {ADMIN}");
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    for n in 0..3 {
        let response = http::request(
            rest.port,
            "POST",
            "/api/v1/channels/news/messages",
            &headers,
            format!("{{\"n\":{n}}}").as_bytes(),
        );
        assert_eq!(response.status, 201, "{}", response.text());
    }
    let missing = http::request(rest.port, "GET", "/api/v1/no-such-route", &headers, b"");
    assert_eq!(missing.status, 404, "{}", missing.text());
    // 1 PUBLISH + 1 ingested + 3 over REST.
    for _ in 0..4 {
        first.message().await;
    }
    first
        .send(&ClientFrame::Unsubscribe {
            id: Some(7),
            channel: "never-joined".to_owned(),
        })
        .await;
    let _ = first.frame().await;
    let epoch = bus.position("news").await.expect("position").epoch;
    let mut recovering = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    match recovering
        .subscribe(
            "news",
            Some(Since {
                offset: Offset(1),
                epoch,
            }),
        )
        .await
    {
        ServerFrame::Subscribed { recovered, .. } => assert!(recovered),
        other => panic!("{other:?}"),
    }
    drop(second);

    // Process manager: the stage processes messages; the sleeper is killed
    // and restarted, then restarted by command.
    let states = wait_states(&bus, Duration::from_secs(20), "sleeper and tag", |s| {
        ["sleeper", "tag"].iter().all(|name| {
            s.iter()
                .any(|s| s.name == *name && s.status == ProcessStatus::Running)
        })
    })
    .await;
    for n in 0..5 {
        bus.publish(
            &EnvelopeDraft::new("raw", Bytes::from(format!("{{\"n\":{n}}}"))),
            None,
        )
        .await
        .expect("publish");
    }
    let pid = states
        .iter()
        .find(|s| s.name == "sleeper")
        .and_then(|s| s.pid)
        .expect("a running sleeper has a pid");
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    wait_states(&bus, Duration::from_secs(20), "sleeper restarted", |s| {
        s.iter()
            .any(|s| s.name == "sleeper" && s.status == ProcessStatus::Running && s.restarts == 1)
    })
    .await;
    let result = command(
        &bus,
        ProcessAction::Restart {
            name: "sleeper".to_owned(),
            instance: None,
        },
    )
    .await;
    assert!(result.ok, "restart command: {result:?}");

    // Scrape every service once its events are counted.
    let mut exposition = Exposition::default();
    let metrics = scrape_until(gateway.port, "the gateway's events counted", |m| {
        m.value("asynchronio_gateway_connections_closed_total", &[]) >= 1.0
            && m.value("asynchronio_gateway_recoveries_total", &[]) >= 1.0
    })
    .await;
    exposition.read(&metrics.text);
    let metrics = scrape_until(bridge.port, "the bridge's events counted", |m| {
        m.value(
            "asynchronio_bridge_messages_bridged_total",
            &[("source", "ingest")],
        ) >= 1.0
            && m.value("asynchronio_bridge_rejected_entries_total", &[]) >= 1.0
    })
    .await;
    exposition.read(&metrics.text);
    exposition.read(&scrape(rest.port).text);
    let metrics = scrape_until(manager_port, "the manager's events counted", |m| {
        m.value(
            "asynchronio_manager_stage_processed_total",
            &[("stage", "tag")],
        ) >= 5.0
            && m.value("asynchronio_manager_restarts_total", &[]) >= 1.0
    })
    .await;
    exposition.read(&metrics.text);

    let dashboard = dashboard();
    let queries = queries(&dashboard);
    assert!(queries.len() >= 10, "only {} queries", queries.len());
    // Prometheus adds these to every series it scrapes.
    let target_labels = ["instance", "job"];
    let mut wrong = Vec::new();
    for (title, expr) in &queries {
        let found = named(expr);
        if found.metrics.is_empty() {
            wrong.push(format!("{title}: `{expr}` names no metric"));
        }
        let mut labels: BTreeSet<&str> = target_labels.into_iter().collect();
        for metric in &found.metrics {
            match exposition.labels.get(metric) {
                Some(present) => labels.extend(present.iter().map(String::as_str)),
                None => wrong.push(format!(
                    "{title}: `{metric}` is exported by no service (query `{expr}`)"
                )),
            }
            if let Some(base) = metric.strip_suffix("_bucket") {
                let kind = exposition.types.get(base).map(String::as_str);
                if kind != Some("histogram") {
                    wrong.push(format!(
                        "{title}: `{metric}` but {base} is not a histogram ({kind:?})"
                    ));
                }
            }
        }
        for label in &found.labels {
            if !labels.contains(label.as_str()) {
                wrong.push(format!(
                    "{title}: label `{label}` is on no series of {:?} (query `{expr}`)",
                    found.metrics
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "deploy/grafana/asynchronio.json queries what the services do not export:\n{}\n\nexported: {:#?}",
        wrong.join("\n"),
        exposition.labels
    );
}
