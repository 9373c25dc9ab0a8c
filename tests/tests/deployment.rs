//! docker-compose.yml and deploy/kubernetes/ describe one deployment: the
//! same images, the same ports and the same environment for every service.
//! A setting changed in one and not the other fails here.
//!
//! Rules: a compose value that interpolates a variable (`${X:-default}`)
//! is a secret or a per-site choice and must come from the Secret
//! `asynchronio-secrets` in Kubernetes; every other value must be equal.

use std::collections::BTreeMap;
use std::path::Path;

use serde_yaml::Value;

const SERVICES: [&str; 4] = ["redis-bridge", "ws-gateway", "rest-api", "process-manager"];

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn read(path: &str) -> String {
    match std::fs::read_to_string(root().join(path)) {
        Ok(text) => text,
        Err(error) => panic!("cannot read {path}: {error}"),
    }
}

fn compose() -> Value {
    let mut value: Value = match serde_yaml::from_str(&read("docker-compose.yml")) {
        Ok(value) => value,
        Err(error) => panic!("docker-compose.yml: {error}"),
    };
    if let Err(error) = value.apply_merge() {
        panic!("docker-compose.yml merge keys: {error}");
    }
    value
}

/// Every document of every manifest kustomization.yaml lists.
fn manifests() -> Vec<Value> {
    let kustomization: Value =
        match serde_yaml::from_str(&read("deploy/kubernetes/kustomization.yaml")) {
            Ok(value) => value,
            Err(error) => panic!("kustomization.yaml: {error}"),
        };
    let mut documents = Vec::new();
    for file in kustomization["resources"]
        .as_sequence()
        .into_iter()
        .flatten()
    {
        let file = file.as_str().unwrap_or_default();
        let text = read(&format!("deploy/kubernetes/{file}"));
        for document in serde_yaml::Deserializer::from_str(&text) {
            match serde_yaml::with::singleton_map_recursive::deserialize::<Value, _>(document) {
                Ok(value) if !value.is_null() => documents.push(value),
                Ok(_) => {}
                Err(error) => panic!("deploy/kubernetes/{file}: {error}"),
            }
        }
    }
    documents
}

/// `${NAME:-default}` → default; anything else unchanged.
fn resolve_default(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        let inner = &rest[start + 2..start + end];
        out.push_str(inner.split_once(":-").map(|(_, d)| d).unwrap_or(""));
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

/// What a Kubernetes container gets in its environment: a literal value,
/// or a reference to a Secret key.
#[derive(Debug, PartialEq)]
enum K8sEnv {
    Value(String),
    Secret(String),
}

fn workload<'a>(documents: &'a [Value], name: &str) -> &'a Value {
    documents
        .iter()
        .find(|d| {
            matches!(d["kind"].as_str(), Some("Deployment" | "StatefulSet"))
                && d["metadata"]["name"].as_str() == Some(name)
        })
        .unwrap_or_else(|| {
            panic!("deploy/kubernetes has no Deployment or StatefulSet named {name}")
        })
}

fn container<'a>(documents: &'a [Value], name: &str) -> &'a Value {
    let containers = &workload(documents, name)["spec"]["template"]["spec"]["containers"];
    containers
        .as_sequence()
        .and_then(|c| c.iter().find(|c| c["name"].as_str() == Some(name)))
        .unwrap_or_else(|| panic!("{name}: no container named {name}"))
}

fn config_map(documents: &[Value], name: &str) -> BTreeMap<String, String> {
    let map = documents
        .iter()
        .find(|d| {
            d["kind"].as_str() == Some("ConfigMap") && d["metadata"]["name"].as_str() == Some(name)
        })
        .unwrap_or_else(|| panic!("deploy/kubernetes has no ConfigMap {name}"));
    map["data"]
        .as_mapping()
        .into_iter()
        .flatten()
        .map(|(k, v)| (scalar(k), scalar(v)))
        .collect()
}

fn k8s_env(documents: &[Value], name: &str) -> BTreeMap<String, K8sEnv> {
    let container = container(documents, name);
    let mut env = BTreeMap::new();
    for source in container["envFrom"].as_sequence().into_iter().flatten() {
        let map = source["configMapRef"]["name"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: envFrom without a configMapRef"));
        for (key, value) in config_map(documents, map) {
            env.insert(key, K8sEnv::Value(value));
        }
    }
    for entry in container["env"].as_sequence().into_iter().flatten() {
        let key = scalar(&entry["name"]);
        let value = if let Some(secret) = entry["valueFrom"]["secretKeyRef"]["name"].as_str() {
            assert_eq!(
                secret, "asynchronio-secrets",
                "{name}: {key} from an unexpected Secret"
            );
            K8sEnv::Secret(scalar(&entry["valueFrom"]["secretKeyRef"]["key"]))
        } else {
            K8sEnv::Value(scalar(&entry["value"]))
        };
        env.insert(key, value);
    }
    env
}

fn compose_env(compose: &Value, name: &str) -> BTreeMap<String, String> {
    compose["services"][name]["environment"]
        .as_mapping()
        .into_iter()
        .flatten()
        .map(|(k, v)| (scalar(k), scalar(v)))
        .collect()
}

#[test]
fn kubernetes_and_compose_run_the_same_images() {
    let compose = compose();
    let documents = manifests();
    for name in SERVICES.iter().chain(&["redis", "postgres"]) {
        let image = resolve_default(
            compose["services"][*name]["image"]
                .as_str()
                .unwrap_or_default(),
        );
        assert!(
            image.starts_with("asynchronio/"),
            "compose {name}: image {image:?}"
        );
        assert_eq!(
            container(&documents, name)["image"].as_str(),
            Some(image.as_str()),
            "{name}: the image differs between docker-compose.yml and deploy/kubernetes"
        );
    }
}

#[test]
fn kubernetes_and_compose_give_services_the_same_environment() {
    let compose = compose();
    let documents = manifests();
    for name in SERVICES {
        let wanted = compose_env(&compose, name);
        let got = k8s_env(&documents, name);
        for (key, value) in &wanted {
            match got.get(key) {
                None => panic!(
                    "{name}: {key} is set in docker-compose.yml but not in deploy/kubernetes"
                ),
                Some(K8sEnv::Secret(_)) if value.contains("${") => {}
                Some(K8sEnv::Secret(secret)) => {
                    panic!(
                        "{name}: {key} is a plain value ({value}) in compose but Secret key {secret} in Kubernetes"
                    )
                }
                Some(K8sEnv::Value(k8s)) => {
                    assert!(
                        !value.contains("${"),
                        "{name}: {key} is configurable in compose ({value}); take it from the Secret in Kubernetes, not the literal {k8s:?}"
                    );
                    assert_eq!(k8s, value, "{name}: {key} differs");
                }
            }
        }
        for key in got.keys() {
            assert!(
                wanted.contains_key(key),
                "{name}: {key} is set in deploy/kubernetes but not in docker-compose.yml"
            );
        }
    }
}

/// The ports a Kubernetes container declares.
fn container_ports(documents: &[Value], name: &str) -> Vec<u64> {
    container(documents, name)["ports"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|p| p["containerPort"].as_u64())
        .collect()
}

#[test]
fn kubernetes_and_compose_use_the_same_ports() {
    let compose = compose();
    let documents = manifests();
    // Each service's listen address in compose names the port its
    // Kubernetes container and Service expose.
    for (name, variable) in [
        ("redis-bridge", "ASYNCHRONIO_BRIDGE_LISTEN"),
        ("ws-gateway", "ASYNCHRONIO_WS_LISTEN"),
        ("rest-api", "ASYNCHRONIO_REST_LISTEN"),
    ] {
        let listen = compose_env(&compose, name)
            .remove(variable)
            .unwrap_or_else(|| panic!("compose {name}: no {variable}"));
        let port: u64 = listen
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_default();
        assert_eq!(
            container_ports(&documents, name),
            vec![port],
            "{name}: container ports"
        );
        if let Some(service) = documents.iter().find(|d| {
            d["kind"].as_str() == Some("Service") && d["metadata"]["name"].as_str() == Some(name)
        }) {
            let exposed: Vec<u64> = service["spec"]["ports"]
                .as_sequence()
                .into_iter()
                .flatten()
                .filter_map(|p| p["port"].as_u64())
                .collect();
            assert_eq!(exposed, vec![port], "{name}: Service ports");
        }
    }
    // The load balancer in compose sends clients to the same ports.
    let haproxy = read("deploy/docker/haproxy.cfg");
    assert!(
        haproxy.contains("ws-gateway:8080"),
        "haproxy.cfg: gateways on 8080"
    );
    assert!(
        haproxy.contains("rest-api:8081"),
        "haproxy.cfg: rest-api on 8081"
    );
    for (name, port) in [("redis", 6379u64), ("postgres", 5432)] {
        assert_eq!(
            container_ports(&documents, name),
            vec![port],
            "{name}: container ports"
        );
    }
}

#[test]
fn kubernetes_autoscales_the_gateway_and_probes_every_service() {
    let documents = manifests();
    let hpa = documents
        .iter()
        .find(|d| d["kind"].as_str() == Some("HorizontalPodAutoscaler"))
        .expect("a HorizontalPodAutoscaler");
    assert_eq!(
        hpa["spec"]["scaleTargetRef"]["name"].as_str(),
        Some("ws-gateway")
    );
    assert!(hpa["spec"]["minReplicas"].as_u64() >= Some(2));
    for name in SERVICES {
        let container = container(&documents, name);
        assert!(
            !container["livenessProbe"].is_null() || !container["readinessProbe"].is_null(),
            "{name}: no probe"
        );
    }
}

/// Each service and the compose variable whose address serves its
/// `GET /metrics` (the process manager's is a listener of its own).
const METRICS: [(&str, &str); 4] = [
    ("redis-bridge", "ASYNCHRONIO_BRIDGE_LISTEN"),
    ("ws-gateway", "ASYNCHRONIO_WS_LISTEN"),
    ("rest-api", "ASYNCHRONIO_REST_LISTEN"),
    ("process-manager", "ASYNCHRONIO_METRICS_LISTEN"),
];

/// The port of a `host:port` listen address in compose.
fn metrics_port(compose: &Value, name: &str, variable: &str) -> u64 {
    let listen = compose_env(compose, name)
        .remove(variable)
        .unwrap_or_else(|| panic!("compose {name}: no {variable}, so no /metrics to scrape"));
    listen
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("compose {name}: {variable}={listen} has no port"))
}

#[test]
fn kubernetes_pods_are_annotated_for_prometheus_on_their_metrics_port() {
    let compose = compose();
    let documents = manifests();
    for (name, variable) in METRICS {
        let port = metrics_port(&compose, name, variable);
        let annotations =
            &workload(&documents, name)["spec"]["template"]["metadata"]["annotations"];
        let annotation = |key: &str| annotations[key].as_str().map(str::to_owned);
        assert_eq!(
            annotation("prometheus.io/scrape").as_deref(),
            Some("true"),
            "{name}: pod template lacks prometheus.io/scrape: \"true\""
        );
        assert_eq!(
            annotation("prometheus.io/port"),
            Some(port.to_string()),
            "{name}: prometheus.io/port must be the port of {variable} in docker-compose.yml (a string)"
        );
        assert_eq!(
            annotation("prometheus.io/path").as_deref(),
            Some("/metrics"),
            "{name}: prometheus.io/path"
        );
        assert!(
            container_ports(&documents, name).contains(&port),
            "{name}: the container does not declare its metrics port {port}"
        );
    }
    // The Kubernetes scrape configuration reads those annotations.
    let config: Value = match serde_yaml::from_str(&read("deploy/prometheus/kubernetes.yml")) {
        Ok(value) => value,
        Err(error) => panic!("deploy/prometheus/kubernetes.yml: {error}"),
    };
    let job = &config["scrape_configs"][0];
    assert_eq!(
        job["kubernetes_sd_configs"][0]["role"].as_str(),
        Some("pod")
    );
    let relabels = serde_yaml::to_string(&job["relabel_configs"]).unwrap_or_default();
    for label in [
        "__meta_kubernetes_pod_annotation_prometheus_io_scrape",
        "__meta_kubernetes_pod_annotation_prometheus_io_port",
        "__meta_kubernetes_pod_annotation_prometheus_io_path",
    ] {
        assert!(
            relabels.contains(label),
            "deploy/prometheus/kubernetes.yml ignores {label}"
        );
    }
}

#[test]
fn compose_prometheus_scrapes_every_service_through_docker_dns() {
    let compose = compose();
    let config: Value = match serde_yaml::from_str(&read("deploy/prometheus/prometheus.yml")) {
        Ok(value) => value,
        Err(error) => panic!("deploy/prometheus/prometheus.yml: {error}"),
    };
    let jobs = config["scrape_configs"]
        .as_sequence()
        .cloned()
        .unwrap_or_default();
    for (name, variable) in METRICS {
        let port = metrics_port(&compose, name, variable);
        let job = jobs
            .iter()
            .find(|job| job["job_name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("deploy/prometheus/prometheus.yml has no job {name}"));
        let discovery = &job["dns_sd_configs"][0];
        assert_eq!(
            discovery["names"]
                .as_sequence()
                .map(|names| names.iter().filter_map(Value::as_str).collect::<Vec<_>>()),
            Some(vec![name]),
            "job {name}: dns_sd_configs must name the compose service, so --scale needs no edit"
        );
        assert_eq!(discovery["type"].as_str(), Some("A"), "job {name}");
        assert_eq!(
            discovery["port"].as_u64(),
            Some(port),
            "job {name}: port must be that of {variable} in docker-compose.yml"
        );
        assert!(
            !compose["services"][name].is_null(),
            "job {name} names no compose service"
        );
    }
    // The compose service runs that file, from an image built here, and
    // publishes its port on loopback only.
    let prometheus = &compose["services"]["prometheus"];
    let dockerfile = prometheus["build"]["dockerfile"]
        .as_str()
        .expect("compose prometheus: built locally");
    assert!(
        read(dockerfile).contains("COPY deploy/prometheus/prometheus.yml "),
        "{dockerfile} does not install deploy/prometheus/prometheus.yml"
    );
    for port in prometheus["ports"].as_sequence().into_iter().flatten() {
        let port = scalar(port);
        assert!(
            port.starts_with("127.0.0.1:"),
            "compose prometheus: {port} is not bound to loopback"
        );
    }
}
