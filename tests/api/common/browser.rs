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
