//! The browser client (web/static/asynchronio.js) in headless Chromium
//! against a real gateway: publish, subscribe, a dropped connection, and
//! recovery of exactly the missed messages.

use std::path::Path;
use std::time::Duration;

use asynchronio_e2e::browser::{Browser, copy_dir};
use asynchronio_e2e::{RedisServer, Service};
use asynchronio_protocol::token::{Claims, TokenKeys, now_secs};

#[tokio::test]
async fn js_client_recovers_missed_messages_in_a_real_browser() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let site = tempfile::tempdir().expect("temporary site directory");
    copy_dir(&root.join("web/static"), site.path());
    copy_dir(&root.join("tests/browser"), site.path());

    let redis = RedisServer::start();
    let static_dir = site.path().display().to_string();
    let gateway = Service::gateway_with_env(
        &redis.url(),
        &["--static-dir", &static_dir],
        &[("ASYNCHRONIO_TOKEN_SECRET", "browser-secret")],
    );
    let keys = TokenKeys::hs256(b"browser-secret").expect("keys");
    let token = keys
        .sign(&Claims {
            sub: "browser-user".into(),
            exp: now_secs() + 600,
            iat: now_secs(),
            subscribe: vec!["private:browser-user:*".into()],
            publish: vec!["private:browser-user:*".into()],
            admin: false,
            ..Default::default()
        })
        .expect("sign");
    let browser = Browser::start();
    let page = format!(
        "http://127.0.0.1:{}/client-test.html?token={token}",
        gateway.port
    );
    let (result, problems) = browser
        .evaluate_page(&page, "window.testDone", Duration::from_secs(60))
        .await;

    assert_eq!(result["ok"], true, "{result}");
    assert!(problems.is_empty(), "console errors: {problems:?}");
    let offsets: Vec<u64> = result["received"]
        .as_array()
        .expect("received")
        .iter()
        .map(|m| {
            m["offset"]
                .as_str()
                .and_then(|o| o.parse().ok())
                .expect("offset")
        })
        .collect();
    assert_eq!(offsets, (1..=11).collect::<Vec<u64>>(), "{result}");
    let numbers: Vec<u64> = result["received"]
        .as_array()
        .expect("received")
        .iter()
        .map(|m| m["n"].as_u64().expect("n"))
        .collect();
    assert_eq!(numbers, (1..=11).collect::<Vec<u64>>());
    let states: Vec<&str> = result["states"]
        .as_array()
        .expect("states")
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert!(states.contains(&"reconnecting"), "{states:?}");
    assert_eq!(result["publishError"], "invalid_channel");
    assert_eq!(result["subscribeError"], "invalid_channel bad channel");
    assert_eq!(result["refusedForgotten"], true);
    assert_eq!(
        result["render"]["order"],
        serde_json::json!(["first again", "kept"]),
        "{result}"
    );
    assert_eq!(result["privateEcho"]["subject"], "browser-user", "{result}");
    let presence: Vec<&str> = result["presence"]
        .as_array()
        .expect("presence")
        .iter()
        .filter_map(|k| k.as_str())
        .collect();
    assert!(
        presence.contains(&"join") && presence.contains(&"leave"),
        "{presence:?}"
    );
    assert_eq!(result["privateEcho"]["echoed"]["secret"], true, "{result}");
    // applyFragment: only inside its declared root, and nothing runs.
    let render = &result["render"];
    assert_eq!(render["outsideReplaced"], false, "{render}");
    assert_eq!(render["noRoot"], false, "{render}");
    assert_eq!(render["applied"], true, "{render}");
    assert_eq!(render["outsideText"], "outside", "{render}");
    assert_eq!(render["kept"], "kept", "{render}");
    assert_eq!(render["fired"], serde_json::json!([]), "{render}");
    assert_eq!(render["leftover"], serde_json::json!([]), "{render}");
    assert_eq!(
        render["button"],
        "<button id=\"ok-button\" type=\"button\" data-action=\"stop\">stop</button>",
        "{render}"
    );
}
