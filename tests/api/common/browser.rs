//! Headless Chromium (Debian's package, installed by `.ci/run`): a page as a real
//! browser loads it, with what its console said and, when asked, a screenshot.

use std::path::PathBuf;
use std::process::Command;

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|bin| {
        Command::new(bin)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// What Chromium made of a page.
pub struct Rendered {
    pub dom: String,
    /// Lines of the page's JavaScript console (errors and policy violations among them).
    pub console: Vec<String>,
}

/// Where screenshots go for a reviewer to look at: `target/console-screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/console-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir
}

/// The DOM of `url` after `budget_ms` of the page's own scripts when given (a budget of
/// 0 makes Chromium spin forever); a PNG of it when `screenshot` names a file. `None`
/// (skipped, with a message) where Chromium is not installed, which CI never allows.
pub async fn render(
    url: String,
    budget_ms: Option<u32>,
    screenshot: Option<PathBuf>,
) -> Option<Rendered> {
    let Some(bin) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install Debian's chromium package (see .ci/run)"
        );
        eprintln!("skipped: no chromium binary (apt-get install -y chromium)");
        return None;
    };
    let profile = tempfile::tempdir().unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(bin)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--enable-logging=stderr",
                "--v=0",
                "--window-size=1280,1000",
            ])
            .args(budget_ms.map(|ms| format!("--virtual-time-budget={ms}")))
            .args(screenshot.map(|p| format!("--screenshot={}", p.display())))
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(["--dump-dom", &url])
            .output()
    })
    .await
    .unwrap()
    .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{dom}\n{stderr}");
    let console = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect();
    Some(Rendered { dom, console })
}

/// A page in a Chromium driven over the DevTools protocol, for what takes clicks.
pub struct Devtools {
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    session: String,
    next_id: u64,
    _chromium: tokio::process::Child,
    _profile: tempfile::TempDir,
}

impl Devtools {
    /// Opens `url` in a fresh headless Chromium; `None` (skipped) as [`render`].
    pub async fn open(url: &str) -> Option<Self> {
        use tokio::io::AsyncBufReadExt;
        let Some(bin) = chromium() else {
            assert!(std::env::var_os("CI").is_none(), "CI must install chromium");
            eprintln!("skipped: no chromium binary (apt-get install -y chromium)");
            return None;
        };
        let profile = tempfile::tempdir().unwrap();
        let mut child = tokio::process::Command::new(bin)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--no-first-run",
                "--remote-debugging-port=0",
                "--window-size=1280,1000",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("chromium starts");
        let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
        let endpoint = tokio::time::timeout(std::time::Duration::from_secs(20), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(at) = line.find("ws://") {
                    return line[at..].trim().to_owned();
                }
            }
            panic!("chromium ended without a DevTools address");
        })
        .await
        .expect("DevTools address within 20 s");
        // Chromium blocks when its stderr fills up: keep reading it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let (ws, _) = tokio_tungstenite::connect_async(endpoint.as_str())
            .await
            .expect("DevTools socket");
        let mut tools = Self {
            ws,
            session: String::new(),
            next_id: 0,
            _chromium: child,
            _profile: profile,
        };
        let target = tools
            .call("Target.createTarget", serde_json::json!({ "url": url }))
            .await;
        let attached = tools
            .call(
                "Target.attachToTarget",
                serde_json::json!({ "targetId": target["targetId"], "flatten": true }),
            )
            .await;
        tools.session = attached["sessionId"].as_str().unwrap().to_owned();
        // Until the page has loaded, an evaluation may land in the blank page the target
        // starts with, whose context the navigation then destroys.
        for _ in 0..200 {
            let reply = tools
                .send(
                    "Runtime.evaluate",
                    serde_json::json!({
                        "expression": "document.readyState === 'complete' && location.href",
                        "returnByValue": true
                    }),
                )
                .await;
            let href = reply["result"]["result"]["value"].as_str().unwrap_or("");
            if href.starts_with(url) {
                return Some(tools);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("{url} did not load within 10 s");
    }

    async fn call(&mut self, method: &str, params: serde_json::Value) -> serde_json::Value {
        let reply = self.send(method, params).await;
        assert!(reply.get("error").is_none(), "{method}: {reply}");
        reply["result"].clone()
    }

    /// One command and its whole reply, error or not.
    async fn send(&mut self, method: &str, params: serde_json::Value) -> serde_json::Value {
        use futures_util::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::Message;
        self.next_id += 1;
        let id = self.next_id;
        let mut message = serde_json::json!({ "id": id, "method": method, "params": params });
        if !self.session.is_empty() {
            message["sessionId"] = self.session.clone().into();
        }
        self.ws
            .send(Message::text(message.to_string()))
            .await
            .expect("DevTools send");
        loop {
            let frame = tokio::time::timeout(std::time::Duration::from_secs(60), self.ws.next())
                .await
                .expect("DevTools answer within 60 s")
                .expect("DevTools open")
                .expect("DevTools frame");
            let Message::Text(text) = frame else { continue };
            let reply: serde_json::Value = serde_json::from_str(&text).unwrap();
            if reply["id"] == id {
                return reply;
            }
        }
    }

    /// Runs `expression` in the page, awaiting it when it is a promise: its value, or a
    /// panic with the page's exception.
    pub async fn eval(&mut self, expression: &str) -> serde_json::Value {
        let result = self
            .call(
                "Runtime.evaluate",
                serde_json::json!({
                    "expression": expression, "awaitPromise": true, "returnByValue": true
                }),
            )
            .await;
        assert!(
            result.get("exceptionDetails").is_none(),
            "the page threw: {}",
            result["exceptionDetails"]
        );
        result["result"]["value"].clone()
    }
}
