//! OpenTelemetry traces end to end, received by a real OTLP/HTTP receiver
//! decoding the protobuf the services export: one trace from a REST
//! publish through a two-stage Python pipeline to a WebSocket client; a raw
//! PUBLISH as a root span in the bridge with the gateway's span under it;
//! and a collector that never answers, which costs no message and no
//! unbounded memory.

use std::time::Duration;

use asynchronio_e2e::manager::{memory_kb, wait_states};
use asynchronio_e2e::otlp::{OtlpReceiver, ReceivedSpan};
use asynchronio_e2e::{Manager, RedisServer, Service, WsClient, free_port};
use asynchronio_protocol::process::ProcessStatus;
use asynchronio_protocol::{Codec, EnvelopeDraft};
use bytes::Bytes;
use serde_json::json;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

fn env_refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect()
}

/// The one span of `service` named `name` in `spans`.
fn span<'a>(spans: &'a [ReceivedSpan], service: &str, name: &str) -> &'a ReceivedSpan {
    let found: Vec<&ReceivedSpan> = spans
        .iter()
        .filter(|span| span.service == service && span.name == name)
        .collect();
    match found.as_slice() {
        [one] => one,
        _ => panic!("expected one {name:?} span from {service}, got {found:#?}\nall: {spans:#?}"),
    }
}

#[tokio::test]
async fn a_rest_publish_is_one_trace_through_a_pipeline_to_the_websocket() {
    let receiver = OtlpReceiver::start().await;
    let env = receiver.env();
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let gateway = Service::gateway_with_env(&redis.url(), &[], &env_refs(&env));
    let dir = tempfile::tempdir().expect("tempdir");
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("api.db").display());
    let rest = Service::rest_with_env(&redis.url(), &database, "trace-admin", &[], &env_refs(&env));

    // Stage one upper-cases; stage two answers with the traceparent it was
    // handed on stdin, so the client sees what the processor saw.
    let echo = dir.path().join("echo_trace.py");
    std::fs::write(
        &echo,
        "import json, sys\nfor line in sys.stdin:\n    r = json.loads(line)\n    print(json.dumps({\"id\": r[\"id\"], \"out\": [{\"data\": {\"text\": r[\"data\"], \"traceparent\": r.get(\"traceparent\")}}]}), flush=True)\n",
    )
    .expect("write the processor");
    let upper = format!(
        "{}/../examples/processors/upper.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let _manager = Manager::start_with_env(
        &redis.url(),
        &format!(
            r#"
[[pipeline]]
name = "upper"
input = "orders"
outputs = ["orders.upper"]
command = "python3"
args = ["-u", "{upper}"]

[[pipeline]]
name = "stamp"
input = "orders.upper"
outputs = ["orders.done"]
command = "python3"
args = ["-u", "{}"]
"#,
            echo.display()
        ),
        &[],
        &env,
    );
    wait_states(
        &bus,
        Duration::from_secs(20),
        "both stages running",
        |states| {
            states
                .iter()
                .filter(|s| s.status == ProcessStatus::Running)
                .count()
                == 2
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    client.subscribe("orders.done", None).await;
    let traceparent = format!("00-{TRACE_ID}-{CALLER_SPAN}-01");
    let response = asynchronio_e2e::http::request(
        rest.port,
        "POST",
        "/api/v1/channels/orders/messages",
        &[
            ("authorization", "Bearer trace-admin"),
            ("content-type", "application/json"),
            ("traceparent", &traceparent),
            ("tracestate", "vendor=caller"),
        ],
        b"\"hello\"",
    );
    assert_eq!(response.status, 201, "{}", response.text());

    let (_, _, _, data) = tokio::time::timeout(Duration::from_secs(20), client.message())
        .await
        .expect("the pipeline's output reached the client");
    assert_eq!(data["text"], json!("HELLO"));
    let handed = data["traceparent"]
        .as_str()
        .expect("the processor got a traceparent");
    assert!(
        handed.starts_with(&format!("00-{TRACE_ID}-")),
        "the processor's traceparent {handed} continues the caller's trace"
    );

    let wanted = [
        ("rest-api", "POST /api/v1/channels/{channel}/messages"),
        ("rest-api", "publish"),
        ("process-manager", "process"),
        ("ws-gateway", "deliver"),
    ];
    let spans = receiver
        .wait_until(Duration::from_secs(20), |spans| {
            let ours = |service: &str, name: &str| {
                spans
                    .iter()
                    .filter(|s| s.service == service && s.name == name && s.trace_id == TRACE_ID)
                    .count()
            };
            wanted
                .iter()
                .all(|(service, name)| ours(service, name) >= 1)
                && ours("process-manager", "process") == 2
        })
        .await;
    let spans: Vec<ReceivedSpan> = spans
        .into_iter()
        .filter(|span| span.trace_id == TRACE_ID)
        .collect();

    // caller → request → publish → stage "upper" → stage "stamp" → deliver
    let request = span(
        &spans,
        "rest-api",
        "POST /api/v1/channels/{channel}/messages",
    );
    assert_eq!(request.parent_span_id, CALLER_SPAN);
    assert_eq!(request.attribute("http.response.status_code"), Some("201"));
    let publish = span(&spans, "rest-api", "publish");
    assert_eq!(publish.parent_span_id, request.span_id);
    assert_eq!(
        publish.attribute("messaging.destination.name"),
        Some("orders")
    );
    let stages: Vec<&ReceivedSpan> = spans
        .iter()
        .filter(|s| s.service == "process-manager" && s.name == "process")
        .collect();
    let first = stages
        .iter()
        .find(|s| s.attribute("asynchronio.stage") == Some("upper"))
        .expect("a span for stage upper");
    let second = stages
        .iter()
        .find(|s| s.attribute("asynchronio.stage") == Some("stamp"))
        .expect("a span for stage stamp");
    assert_eq!(first.parent_span_id, publish.span_id);
    assert_eq!(first.attribute("asynchronio.outputs"), Some("1"));
    assert_eq!(second.parent_span_id, first.span_id);
    assert_eq!(
        handed,
        format!("00-{TRACE_ID}-{}-01", second.span_id),
        "the processor was handed its stage span's context"
    );
    let deliver = span(&spans, "ws-gateway", "deliver");
    assert_eq!(deliver.parent_span_id, second.span_id);
    assert_eq!(
        deliver.attribute("messaging.destination.name"),
        Some("orders.done")
    );
    assert_eq!(deliver.attribute("asynchronio.subscribers"), Some("1"));
    assert_eq!(deliver.attribute("asynchronio.codecs"), Some("1"));
    assert!(deliver.events.iter().any(|event| event == "last flush"));

    // The context is in the stored envelope, so history keeps it.
    let stored = bus
        .history("orders", asynchronio_protocol::Offset(0), None, 10)
        .await
        .expect("history");
    let context = asynchronio_protocol::trace::TraceContext::from_headers(&stored[0].headers)
        .expect("the envelope carries its trace context");
    assert_eq!(context.trace_id(), TRACE_ID);
    assert_eq!(context.parent_id(), publish.span_id);
    assert_eq!(context.tracestate.as_deref(), Some("vendor=caller"));
}

#[tokio::test]
async fn a_raw_publish_is_a_root_span_in_the_bridge_with_the_gateway_under_it() {
    let receiver = OtlpReceiver::start().await;
    let env = receiver.env();
    let redis = RedisServer::start();
    let args = vec![
        "--redis-url".to_owned(),
        redis.url(),
        "--lease-ms".to_owned(),
        "600".to_owned(),
    ];
    let _bridge = Service::start_with_env("redis-bridge", free_port(), &args, &env_refs(&env));
    let gateway = Service::gateway_with_env(&redis.url(), &[], &env_refs(&env));
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::MsgPack).await;
    client.subscribe("news", None).await;
    let mut offset = None;
    for _ in 0..50 {
        redis.cli(&["PUBLISH", "asynchronio:publish:news", r#"{"title":"hi"}"#]);
        if let Ok((_, at, _, _)) =
            tokio::time::timeout(Duration::from_millis(200), client.message()).await
        {
            offset = Some(at);
            break;
        }
    }
    let offset = offset.expect("raw PUBLISH never reached the client");

    // Both spans: the bridge and the gateway export in their own batches,
    // so one can arrive before the other.
    let spans = receiver
        .wait_until(Duration::from_secs(15), |spans| {
            spans.iter().any(|s| {
                s.service == "ws-gateway"
                    && s.name == "deliver"
                    && s.attribute("asynchronio.offset") == Some(&offset.to_string())
                    && spans
                        .iter()
                        .any(|b| b.service == "redis-bridge" && b.span_id == s.parent_span_id)
            })
        })
        .await;
    let deliver = spans
        .iter()
        .find(|s| {
            s.service == "ws-gateway"
                && s.name == "deliver"
                && s.attribute("asynchronio.offset") == Some(&offset.to_string())
        })
        .expect("the gateway's span for the delivered message");
    let bridge = spans
        .iter()
        .find(|s| s.service == "redis-bridge" && s.span_id == deliver.parent_span_id)
        .expect("the gateway's span hangs under a bridge span");
    assert_eq!(bridge.name, "bridge");
    assert_eq!(
        bridge.parent_span_id, "",
        "a raw PUBLISH starts a new trace"
    );
    assert_eq!(bridge.trace_id, deliver.trace_id);
    assert_eq!(bridge.attribute("asynchronio.source"), Some("pubsub"));
    assert_eq!(
        bridge.attribute("asynchronio.offset"),
        Some(&*offset.to_string())
    );
    assert_eq!(deliver.attribute("asynchronio.codecs"), Some("1"));
}

/// Receives `count` messages, each the offset after the last; the last.
async fn receive_in_order(client: &mut WsClient, mut last: u64, count: u64) -> u64 {
    for _ in 0..count {
        let (_, offset, _, _) = tokio::time::timeout(Duration::from_secs(10), client.message())
            .await
            .expect("delivery goes on while the collector hangs");
        assert_eq!(offset, last + 1, "every message, in order");
        last = offset;
    }
    last
}

#[tokio::test]
async fn a_collector_that_never_answers_costs_no_message_and_bounded_memory() {
    // Accepts connections and never answers: the exporter's worst case.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = silent.local_addr().expect("address").port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            open.push(stream);
        }
    });
    delivery_goes_on_while_spans_cannot_be_exported(&format!("http://127.0.0.1:{port}")).await;
    held.abort();
}

#[tokio::test]
async fn a_collector_that_refuses_connections_costs_no_message_and_bounded_memory() {
    // Nothing listens there: every export is refused at once.
    let port = asynchronio_e2e::process::free_port();
    delivery_goes_on_while_spans_cannot_be_exported(&format!("http://127.0.0.1:{port}")).await;
}

/// A gateway exporting to `endpoint`, where no span is ever accepted,
/// delivers 45,000 messages in order, and its memory stays within 32 MiB of
/// what it was after the first 5,000.
async fn delivery_goes_on_while_spans_cannot_be_exported(endpoint: &str) {
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let gateway = Service::gateway_with_env(
        &redis.url(),
        &[],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
            ("OTEL_BSP_SCHEDULE_DELAY", "50"),
        ],
    );
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    client.subscribe("load", None).await;
    let send = |from: u64, count: u64| {
        let bus = bus.clone();
        async move {
            for start in (from..from + count).step_by(500) {
                let drafts: Vec<EnvelopeDraft> = (start..start + 500)
                    .map(|n| EnvelopeDraft::new("load", Bytes::from(n.to_string())))
                    .collect();
                for result in bus.publish_drafts(&drafts).await {
                    result.expect("publish");
                }
            }
        }
    };
    // Warm up, then measure: 10x more spans than the export queue holds.
    let (_, last) = tokio::join!(send(0, 5_000), receive_in_order(&mut client, 0, 5_000));
    let before = memory_kb(gateway.pid(), "VmRSS");
    let mut last = last;
    for round in 0..8 {
        let from = 5_000 + round * 5_000;
        let (_, now) = tokio::join!(
            send(from, 5_000),
            receive_in_order(&mut client, last, 5_000)
        );
        last = now;
    }
    assert_eq!(last, 45_000);
    let after = memory_kb(gateway.pid(), "VmRSS");
    assert!(
        after < before + 32 * 1024,
        "the gateway grew from {before} KiB to {after} KiB while 40,000 spans could not be exported"
    );
}

/// The trace context stored with the newest message of `channel`.
async fn stored_context(
    bus: &asynchronio_bus::Bus,
    channel: &str,
) -> Option<asynchronio_protocol::trace::TraceContext> {
    let page = bus
        .history(channel, asynchronio_protocol::Offset(0), None, 100)
        .await
        .expect("history");
    let last = page.last().expect("a message was published");
    asynchronio_protocol::trace::TraceContext::from_headers(&last.headers)
}

#[tokio::test]
async fn every_way_in_keeps_the_callers_trace_context_with_tracing_off() {
    // No endpoint anywhere: the services trace nothing, yet the caller's
    // context is stored as it came, for services that do trace.
    let parent = format!("00-{TRACE_ID}-{CALLER_SPAN}-01");
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let gateway = Service::gateway(&redis.url(), &[]);
    let _bridge = Service::bridge(&redis.url(), &["--lease-ms", "600"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("api.db").display());
    let rest = Service::rest(&redis.url(), &database, "trace-admin", &[]);

    // REST broadcast: the request headers, into every envelope.
    let response = asynchronio_e2e::http::request(
        rest.port,
        "POST",
        "/api/v1/broadcast",
        &[
            ("authorization", "Bearer trace-admin"),
            ("content-type", "application/json"),
            ("traceparent", &parent),
        ],
        br#"{"channels":["b1","b2"],"data":1}"#,
    );
    assert_eq!(response.status, 201, "{}", response.text());
    for channel in ["b1", "b2"] {
        let context = stored_context(&bus, channel).await.expect("stored");
        assert_eq!(context.traceparent, parent);
    }
    // An invalid header is ignored, the publish is not refused.
    let response = asynchronio_e2e::http::request(
        rest.port,
        "POST",
        "/api/v1/channels/b1/messages",
        &[
            ("authorization", "Bearer trace-admin"),
            ("traceparent", "00-nonsense"),
        ],
        b"2",
    );
    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(stored_context(&bus, "b1").await, None);

    // A client publish frame's headers.
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    client
        .send_raw(tokio_tungstenite::tungstenite::Message::text(format!(
            r#"{{"op":"publish","id":7,"channel":"ws","data":1,"headers":{{"traceparent":"{parent}","tracestate":"a=b"}}}}"#
        )))
        .await;
    assert!(matches!(
        client.frame().await,
        asynchronio_protocol::ServerFrame::Ok { id: Some(7), .. }
    ));
    let context = stored_context(&bus, "ws").await.expect("stored");
    assert_eq!(context.traceparent, parent);
    assert_eq!(context.tracestate.as_deref(), Some("a=b"));
    client
        .send_raw(tokio_tungstenite::tungstenite::Message::text(
            r#"{"op":"publish","id":8,"channel":"ws","data":1,"headers":{"traceparent":"00-zz"}}"#,
        ))
        .await;
    match client.frame().await {
        asynchronio_protocol::ServerFrame::Error { id, code, .. } => {
            assert_eq!(
                (id, code),
                (Some(8), asynchronio_protocol::ErrorCode::InvalidFrame)
            );
        }
        other => panic!("expected an error frame, got {other:?}"),
    }

    // Ingest entry fields; a malformed one still publishes, untraced.
    redis.cli(&[
        "XADD",
        "asynchronio:ingest",
        "*",
        "channel",
        "in",
        "data",
        "1",
        "traceparent",
        &parent,
    ]);
    redis.cli(&[
        "XADD",
        "asynchronio:ingest",
        "*",
        "channel",
        "in",
        "data",
        "2",
        "traceparent",
        "bad",
    ]);
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while bus.position("in").await.expect("position").offset.0 < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "ingest entries not bridged"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let page = bus
        .history("in", asynchronio_protocol::Offset(0), None, 10)
        .await
        .expect("history");
    let contexts: Vec<_> = page
        .iter()
        .map(|envelope| asynchronio_protocol::trace::TraceContext::from_headers(&envelope.headers))
        .collect();
    assert_eq!(
        contexts[0].as_ref().map(|c| c.traceparent.as_str()),
        Some(parent.as_str())
    );
    assert_eq!(contexts[1], None);

    // The CLI: --traceparent.
    let cli = |args: &[&str], env: &[(&str, &str)]| {
        std::process::Command::new(asynchronio_e2e::process::binary("asynchronio"))
            .arg("--redis-url")
            .arg(redis.url())
            .args(args)
            .envs(env.iter().copied())
            .output()
            .expect("run asynchronio")
    };
    let output = cli(&["publish", "--traceparent", &parent, "cli", "1"], &[]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        stored_context(&bus, "cli")
            .await
            .expect("stored")
            .traceparent,
        parent
    );
    // A malformed one, often inherited from the environment, does not stop
    // the publish: it is reported, and the message starts a new trace.
    let output = cli(&["publish", "cli", "2"], &[("TRACEPARENT", "00-bad")]);
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("traceparent"));
    assert_eq!(stored_context(&bus, "cli").await, None);

    // A protocol other than HTTP/protobuf is refused with a clear line, the
    // traces-specific variable first; the publish still goes through.
    let output = cli(
        &["publish", "cli", "2b"],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"),
        ],
    );
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc is not supported"),
        "{output:?}"
    );

    // With an endpoint, the CLI's own publish span joins the trace.
    let receiver = OtlpReceiver::start().await;
    let endpoint = receiver.endpoint();
    let output = cli(
        &["publish", "cli", "3"],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("TRACEPARENT", &parent),
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let spans = receiver
        .wait_until(Duration::from_secs(10), |spans| !spans.is_empty())
        .await;
    let publish = span(&spans, "asynchronio", "publish");
    assert_eq!(publish.trace_id, TRACE_ID);
    assert_eq!(publish.parent_span_id, CALLER_SPAN);
    let context = stored_context(&bus, "cli").await.expect("stored");
    assert_eq!(context.parent_id(), publish.span_id);
}
