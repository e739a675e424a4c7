//! Headless Chromium for the dashboard's tests and benchmark: Debian's
//! `chromium` driven through `chromedriver` (WebDriver) by fantoccini.
//! Missing browser or driver is a failure with the fix in the message,
//! never a skip (`scripts/test` installs both).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

const INSTALL: &str = "install Debian's chromium and chromium-driver packages \
                       (`apt-get install -y chromium chromium-driver`; scripts/test does it), \
                       or point NEWSFLOW_CHROMIUM / NEWSFLOW_CHROMEDRIVER at them";

fn which(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).flat_map(|dir| names.iter().map(move |n| dir.join(n))).find(|p| p.is_file())
}

fn find(env: &str, names: &[&str]) -> PathBuf {
    if let Some(p) = std::env::var_os(env).map(PathBuf::from) {
        assert!(p.is_file(), "{env}={} does not exist: {INSTALL}", p.display());
        return p;
    }
    which(names).unwrap_or_else(|| panic!("{} not found: {INSTALL}", names[0]))
}

/// The browser and driver binaries.
pub fn binaries() -> (PathBuf, PathBuf) {
    (
        find("NEWSFLOW_CHROMIUM", &["chromium", "chromium-browser", "google-chrome"]),
        find("NEWSFLOW_CHROMEDRIVER", &["chromedriver"]),
    )
}

/// A chromedriver with one headless Chromium session.
pub struct Browser {
    pub client: Client,
    driver: Child,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn wait_port(port: u16, what: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not listen on port {port} within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Browser {
    pub async fn start(log_dir: &Path) -> Self {
        let (chromium, chromedriver) = binaries();
        let port = free_port();
        let log = std::fs::File::create(log_dir.join("chromedriver.log")).unwrap();
        use std::os::unix::process::CommandExt;
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            // Its own process group, so Drop can stop the browser with it.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}: {INSTALL}", chromedriver.display()));
        wait_port(port, "chromedriver", Duration::from_secs(30)).await;
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-extensions", "--no-first-run", "--window-size=1280,900", "--lang=en-US",
                ],
            }),
        );
        let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(caps);
        let client = builder
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| panic!("chromedriver could not start {}: {e}", chromium.display()));
        Self { client, driver }
    }

    /// Run `script` (a function body; `arguments` holds `args`) in the page.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client.execute(script, args).await.unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Wait until `css` matches, or fail naming `what`.
    pub async fn wait_for(&self, css: &str, what: &str, limit: Duration) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(limit)
            .every(Duration::from_millis(50))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{what}: no `{css}` within {limit:?}: {e}"))
    }

    /// Wait until `script` returns true.
    pub async fn wait_true(&self, script: &str, what: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            if self.js(script, vec![]).await == Value::Bool(true) {
                return;
            }
            assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Save a screenshot as `NAME.png` in `$NEWSFLOW_SCREENSHOTS` when that
    /// is set (to look at the dashboard as a person would).
    pub async fn screenshot(&self, name: &str) {
        let Some(dir) = std::env::var_os("NEWSFLOW_SCREENSHOTS").map(PathBuf::from) else { return };
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        use nix::sys::signal::{Signal, killpg};
        let _ = killpg(nix::unistd::Pid::from_raw(self.driver.id() as i32), Signal::SIGKILL);
        let _ = self.driver.wait();
    }
}
