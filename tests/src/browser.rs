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
