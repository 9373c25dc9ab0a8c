//! Headless Chromium driven over the DevTools protocol, for tests of the
//! browser client in a real browser.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::process::free_port;

/// A headless Chromium with its own profile directory, killed on drop.
pub struct Browser {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts Chromium; fails the test with an install hint if it is missing.
    pub fn start() -> Browser {
        let profile = match tempfile::tempdir() {
            Ok(dir) => dir,
            Err(error) => panic!("cannot create a Chromium profile directory: {error}"),
        };
        let port = free_port();
        let binary = ["chromium", "chromium-browser", "google-chrome"]
            .into_iter()
            .find(|name| Command::new(name).arg("--version").output().is_ok())
            .unwrap_or_else(|| panic!("Chromium is not installed (apt-get install chromium)"));
        let child = Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-dev-shm-usage",
            ])
            .arg(format!("--remote-debugging-port={port}"))
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(error) => panic!("cannot start Chromium: {error}"),
        };
        Browser {
            child,
            port,
            _profile: profile,
        }
    }

    /// The DevTools WebSocket URL of the first page, once Chromium is up.
    fn page_url(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(url) = self.list_pages() {
                return url;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("Chromium's DevTools endpoint did not come up");
    }

    fn list_pages(&self) -> Option<String> {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        write!(
            stream,
            "GET /json/list HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.port
        )
        .ok()?;
        // DevTools keeps the connection open: read until the body parses.
        let mut response = Vec::new();
        let mut chunk = [0u8; 4096];
        let pages: Value = loop {
            let n = stream.read(&mut chunk).ok()?;
            if n == 0 {
                return None;
            }
            response.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&response);
            if let Some((_, body)) = text.split_once("\r\n\r\n")
                && let Ok(pages) = serde_json::from_str(body.trim())
            {
                break pages;
            }
        };
        pages.as_array()?.iter().find(|p| p["type"] == "page")?["webSocketDebuggerUrl"]
            .as_str()
            .map(str::to_owned)
    }

    /// Opens `url` and returns the value the page's `expression` (a promise)
    /// resolves to, plus every console error and uncaught exception seen.
    pub async fn evaluate_page(
        &self,
        url: &str,
        expression: &str,
        limit: Duration,
    ) -> (Value, Vec<String>) {
        let page_url = self.page_url();
        let (mut devtools, _) = match tokio_tungstenite::connect_async(page_url).await {
            Ok(connected) => connected,
            Err(error) => panic!("cannot connect to Chromium's DevTools: {error}"),
        };
        let mut id = 0;
        let _ = devtools
            .send(call(&mut id, "Runtime.enable", json!({})))
            .await;
        let _ = devtools
            .send(call(&mut id, "Page.navigate", json!({"url": url})))
            .await;
        let deadline = Instant::now() + limit;
        let mut problems = Vec::new();
        let mut asked = None;
        loop {
            if Instant::now() > deadline {
                panic!("the page did not finish within {limit:?}; problems: {problems:?}");
            }
            if asked.is_none() {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let message = call(
                    &mut id,
                    "Runtime.evaluate",
                    json!({"expression": format!("(async () => {{ while (!window.testDone) await new Promise(r => setTimeout(r, 20)); return await ({expression}); }})()"),
                           "awaitPromise": true, "returnByValue": true}),
                );
                asked = Some(id);
                let _ = devtools.send(message).await;
            }
            let next = tokio::time::timeout(Duration::from_millis(500), devtools.next()).await;
            let Ok(Some(Ok(Message::Text(text)))) = next else {
                continue;
            };
            let Ok(event) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            match event["method"].as_str() {
                Some("Runtime.exceptionThrown") => {
                    problems.push(event["params"]["exceptionDetails"].to_string())
                }
                Some("Runtime.consoleAPICalled") if event["params"]["type"] == "error" => {
                    problems.push(event["params"]["args"].to_string())
                }
                _ => {}
            }
            if asked.is_some() && event["id"].as_u64() == asked {
                if event["result"]["exceptionDetails"].is_object() {
                    // The page had not loaded yet: ask again.
                    asked = None;
                    continue;
                }
                return (event["result"]["result"]["value"].clone(), problems);
            }
        }
    }
}

impl Browser {
    /// Opens a DevTools session on the first tab, for driving pages step
    /// by step.
    pub async fn page(&self) -> Page {
        let page_url = self.page_url();
        let (devtools, _) = match tokio_tungstenite::connect_async(page_url).await {
            Ok(connected) => connected,
            Err(error) => panic!("cannot connect to Chromium's DevTools: {error}"),
        };
        let mut page = Page {
            devtools,
            id: 0,
            problems: Vec::new(),
        };
        page.call("Runtime.enable", json!({})).await;
        page.call("Page.enable", json!({})).await;
        page.call("Log.enable", json!({})).await;
        // As if the window had the focus, as a user's does: focus events
        // fire and focus returns after a dialog closes.
        page.call(
            "Emulation.setFocusEmulationEnabled",
            json!({"enabled": true}),
        )
        .await;
        page
    }
}

/// Whether a DevTools log entry is an error the browser itself reported
/// about the page (an invalid `pattern` attribute, a blocked script, a CSP
/// violation), as the console shows it. Network errors are left out: a
/// WebSocket that cannot reach a stopped gateway is one, and the tests stop
/// gateways on purpose.
fn browser_error(entry: &Value) -> bool {
    entry["level"] == "error" && entry["source"] != "network"
}

type DevTools =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One tab under test: navigate, evaluate, wait, screenshot. Every console
/// error and uncaught exception is collected in [`Page::problems`].
pub struct Page {
    devtools: DevTools,
    id: u64,
    problems: Vec<String>,
}

impl Page {
    /// Sends a DevTools command and returns its result.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        match self.try_call(method, params).await {
            Ok(result) => result,
            Err(error) => panic!("DevTools refused {method}: {error}"),
        }
    }

    /// Sends a DevTools command: its result, or the error DevTools answered
    /// (an evaluation while the page navigates is refused, for one).
    pub async fn try_call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let message = call(&mut self.id, method, params);
        let id = self.id;
        if let Err(error) = self.devtools.send(message).await {
            panic!("DevTools connection lost sending {method}: {error}");
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let next = match tokio::time::timeout(left, self.devtools.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => text,
                Ok(Some(Ok(_))) => continue,
                Ok(_) => panic!("DevTools connection closed during {method}"),
                Err(_) => panic!("DevTools did not answer {method} within 30 s"),
            };
            let Ok(event) = serde_json::from_str::<Value>(&next) else {
                continue;
            };
            match event["method"].as_str() {
                Some("Runtime.exceptionThrown") => self
                    .problems
                    .push(event["params"]["exceptionDetails"].to_string()),
                Some("Runtime.consoleAPICalled") if event["params"]["type"] == "error" => {
                    self.problems.push(event["params"]["args"].to_string())
                }
                Some("Log.entryAdded") if browser_error(&event["params"]["entry"]) => self
                    .problems
                    .push(event["params"]["entry"]["text"].to_string()),
                _ => {}
            }
            if event["id"].as_u64() == Some(id) {
                if event["error"].is_object() {
                    return Err(event["error"].clone());
                }
                return Ok(event["result"].clone());
            }
        }
    }

    /// Evaluates `expression` (awaiting a promise) and returns its value;
    /// a thrown exception fails the test.
    pub async fn eval(&mut self, expression: &str) -> Value {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "awaitPromise": true, "returnByValue": true}),
            )
            .await;
        if result["exceptionDetails"].is_object() {
            panic!(
                "the page threw evaluating {expression}: {}",
                result["exceptionDetails"]
            );
        }
        result["result"]["value"].clone()
    }

    /// Waits until `expression` is truthy; fails the test after `limit`
    /// naming `what`. Returns how long it took.
    pub async fn wait_for(&mut self, expression: &str, limit: Duration, what: &str) -> Duration {
        let started = Instant::now();
        let check = format!(
            "(() => {{ try {{ return !!({expression}); }} catch (e) {{ return false; }} }})()"
        );
        loop {
            // Refused while the page navigates: not yet, ask again.
            let answer = self
                .try_call(
                    "Runtime.evaluate",
                    json!({"expression": check, "awaitPromise": true, "returnByValue": true}),
                )
                .await;
            if answer.is_ok_and(|result| result["result"]["value"] == Value::Bool(true)) {
                return started.elapsed();
            }
            if started.elapsed() > limit {
                let body = self
                    .eval("document.body ? document.body.innerText.slice(0, 2000) : ''")
                    .await;
                panic!(
                    "waited {limit:?} for {what} ({expression}); page text: {body}; problems: {:?}",
                    self.problems
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Opens dashboard path `start` on `port`, is sent to the login form,
    /// logs in with `key`, and waits for the page the login leads to,
    /// `landing`.
    pub async fn log_in(&mut self, port: u16, key: &str, start: &str, landing: &str) {
        self.goto(&format!("http://127.0.0.1:{port}{start}")).await;
        self.wait_for(
            "location.pathname === '/login' && document.getElementById('key')",
            Duration::from_secs(10),
            "the login form",
        )
        .await;
        self.eval(&format!(
            "document.getElementById('key').value = '{key}'; document.querySelector('form.login').submit(); true"
        ))
        .await;
        self.wait_for(
            &format!("location.pathname === '{landing}' && document.readyState === 'complete'"),
            Duration::from_secs(10),
            &format!("{landing} after login"),
        )
        .await;
    }

    /// Presses Enter in the element `selector` names, as a user would: a
    /// real key event, so a form's implicit submission (its default
    /// button) happens as it does for people.
    pub async fn press_enter(&mut self, selector: &str) {
        let focused = self
            .eval(&format!(
                "(() => {{ const e = document.querySelector({selector:?}); if (!e) return false; e.focus(); return document.activeElement === e; }})()"
            ))
            .await;
        assert_eq!(focused, Value::Bool(true), "cannot focus {selector}");
        for kind in ["keyDown", "keyUp"] {
            self.call(
                "Input.dispatchKeyEvent",
                json!({"type": kind, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "text": "\r"}),
            )
            .await;
        }
    }

    /// Loads `url` and waits for the document to be complete.
    pub async fn goto(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url})).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.wait_for(
            "document.readyState === 'complete'",
            Duration::from_secs(20),
            "the page to load",
        )
        .await;
    }

    /// Emulates a window `width` × `height` CSS pixels.
    pub async fn viewport(&mut self, width: u32, height: u32) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}),
        )
        .await;
    }

    /// Saves a PNG of the page (the whole page, not only the window).
    pub async fn screenshot(&mut self, path: &Path) {
        use base64::Engine as _;
        let result = self
            .call(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true}),
            )
            .await;
        let data = result["data"].as_str().unwrap_or_default();
        let bytes = match base64::engine::general_purpose::STANDARD.decode(data) {
            Ok(bytes) => bytes,
            Err(error) => panic!("screenshot is not base64: {error}"),
        };
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(error) = std::fs::write(path, bytes) {
            panic!("cannot write {}: {error}", path.display());
        }
    }

    /// Console errors and uncaught exceptions seen so far.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

/// A DevTools request with the next id.
fn call(id: &mut u64, method: &str, params: Value) -> Message {
    *id += 1;
    Message::Text(Utf8Bytes::from(
        json!({"id": *id, "method": method, "params": params}).to_string(),
    ))
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Copies the files of `from` (not recursively) into `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    let entries = match std::fs::read_dir(from) {
        Ok(entries) => entries,
        Err(error) => panic!("cannot read {}: {error}", from.display()),
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_file()
            && let Some(name) = path.file_name()
            && let Err(error) = std::fs::copy(&path, to.join(name))
        {
            panic!("cannot copy {}: {error}", path.display());
        }
    }
}
