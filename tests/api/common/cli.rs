//! The built binary: one runner for its subcommands and one starter for `serve` as a
//! child process. Arguments go through exactly as given, in the order given (global
//! flags such as `--database` work before or after the subcommand), and the child
//! sees none of this process's `CLOUDTWIN_*` variables unless a test sets them.

use std::ffi::OsStr;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// `cloudtwin ARGS…` in `dir`, not yet run: for a test that adds variables or
/// redirects output.
pub fn command<S: AsRef<OsStr>>(dir: &Path, args: &[S]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cloudtwin"));
    command.args(args).current_dir(dir);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("CLOUDTWIN_") {
            command.env_remove(key);
        }
    }
    command
}

/// Runs `cloudtwin ARGS…` in `dir` to the end.
pub fn run<S: AsRef<OsStr>>(dir: &Path, args: &[S]) -> Output {
    command(dir, args).output().expect("run cloudtwin")
}

/// The loopback port for the next child server.
///
/// Servers in this process bind port 0 and get a port from the kernel's ephemeral
/// range, as do outgoing connections, at any moment on other test threads. A child is
/// told its port before it binds, so it gets one below that range, never the same one
/// twice in this process, and only one that is free right now. (A port found by
/// binding port 0 could go to another test's server in between; the child would then
/// fail to bind while its readiness check reached the other server.)
pub fn free_port() -> u16 {
    static NEXT: Mutex<Option<u16>> = Mutex::new(None);
    let ephemeral_low: u16 = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse().ok())
        .unwrap_or(32768);
    let low = ephemeral_low.saturating_sub(12_000).max(1024);
    let span = ephemeral_low.saturating_sub(low);
    if span < 1000 {
        // No room below the ephemeral range: fall back to the kernel's choice.
        return TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("bind a free port")
            .port();
    }
    let mut next = NEXT.lock().expect("port counter");
    // A random start keeps two test processes on one machine apart.
    let mut port = next.unwrap_or_else(|| low + rand::random::<u16>() % span);
    for _ in 0..span {
        let candidate = port;
        port = if port + 1 >= ephemeral_low {
            low
        } else {
            port + 1
        };
        if TcpListener::bind(("127.0.0.1", candidate)).is_ok() {
            *next = Some(port);
            return candidate;
        }
    }
    panic!("no free loopback port in {low}..{ephemeral_low}");
}

/// The binary serving as a child process; killed when dropped, so that a test that
/// fails half-way (or forgets) leaves no server running after it.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `cloudtwin serve` on the file and waits until `/ready` answers 200.
pub async fn start(db: &Path, client: &reqwest::Client) -> Server {
    start_with(db, client, |_| {}).await
}

/// As [`start`], letting the caller adjust the command first (it runs in the
/// database's directory, logs at `error`, output discarded).
pub async fn start_with(
    db: &Path,
    client: &reqwest::Client,
    adjust: impl Fn(&mut Command),
) -> Server {
    let dir = db.parent().expect("database directory");
    for _attempt in 0..5 {
        let addr = format!("127.0.0.1:{}", free_port());
        let args = [
            OsStr::new("serve"),
            OsStr::new("--database"),
            db.as_os_str(),
            OsStr::new("--listen"),
            OsStr::new(&addr),
        ];
        let mut command = command(dir, &args);
        command
            .env("CLOUDTWIN_LOG__LEVEL", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        adjust(&mut command);
        let mut child = command.spawn().expect("spawn cloudtwin");
        let base = format!("http://{addr}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                // Most likely the port was taken in between: try another one.
                eprintln!("cloudtwin exited at start ({status}), retrying");
                break;
            }
            if let Ok(res) = client.get(format!("{base}/ready")).send().await
                && res.status() == 200
            {
                return Server { child, base };
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("cloudtwin did not become ready");
}
