//! The local stack's processes: the Temporal dev server and the tansu broker,
//! started as supervised children, plus Kafka topic creation.
//!
//! Each child runs under a small bash supervisor that holds a pipe from us on
//! its stdin. When this process exits for any reason (Ctrl-C, a panic, even
//! SIGKILL) the pipe closes and the supervisor stops the child with SIGTERM,
//! so `steward dev` and the tests never leave a server running behind them.

use anyhow::{Context, bail};
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Stops the child when our end of stdin closes (EOF) or on SIGTERM/SIGINT.
const SUPERVISOR: &str = r#"
"$@" </dev/null &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 0' TERM INT
while kill -0 "$child" 2>/dev/null; do
  read -r -t 1 _line
  rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -le 128 ]; then break; fi
done
kill -TERM "$child" 2>/dev/null
wait "$child"
"#;

pub struct Supervised {
    name: &'static str,
    child: Child,
}

impl Supervised {
    /// Starts `program args` in `cwd`, stdout and stderr appended to `log`.
    pub fn spawn(
        name: &'static str,
        program: &Path,
        args: &[OsString],
        cwd: &Path,
        log: &Path,
    ) -> anyhow::Result<Self> {
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("opening {}", log.display()))?;
        let child = Command::new("bash")
            .arg("-c")
            .arg(SUPERVISOR)
            .arg(name)
            .arg(program)
            .args(args)
            .current_dir(cwd)
            // Its own process group: a terminal's Ctrl-C (SIGINT to the whole
            // foreground group) must reach only us, so that the servers stay
            // up while we drain, and stop after.
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("starting {name} ({})", program.display()))?;
        tracing::info!(name, program = %program.display(), log = %log.display(), "started");
        Ok(Self { name, child })
    }

    /// Whether the supervised process has already exited.
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Graceful stop: close stdin, let the supervisor SIGTERM the child.
    pub async fn stop(mut self) {
        drop(self.child.stdin.take());
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while tokio::time::Instant::now() < deadline {
            if self.exited() {
                tracing::info!(name = self.name, "stopped");
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tracing::warn!(name = self.name, "did not stop in time; killing");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Temporal CLI: configured path, else pip's scripts folder (the real
/// binary, not a pyenv shim whose PID is not the server's), else PATH.
pub fn temporal_binary(configured: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = configured {
        return Ok(path.to_owned());
    }
    let scripts = std::process::Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_path('scripts'))",
        ])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()).join("temporal"));
    if let Some(path) = scripts.filter(|p| p.is_file()) {
        return Ok(path);
    }
    find_on_path("temporal").context("the Temporal CLI is not installed; run scripts/provision.sh")
}

/// The tansu broker: configured path, else `STEWARD_TANSU_BIN`, else the
/// provisioning cache, else PATH.
pub fn tansu_binary(configured: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = configured {
        return Ok(path.to_owned());
    }
    if let Some(path) = std::env::var_os("STEWARD_TANSU_BIN").map(PathBuf::from) {
        return Ok(path);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let cached = home.join(".cache/steward/tansu-0.6.0/bin/tansu");
    if cached.is_file() {
        return Ok(cached);
    }
    find_on_path("tansu").context("the tansu broker is not installed; run scripts/provision.sh")
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Waits until something accepts TCP connections on `addr`.
pub async fn wait_for_port(addr: &str, timeout: Duration) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            bail!("nothing listening on {addr} after {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Whether a TCP port on localhost is already taken.
pub fn port_in_use(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_err()
}

/// Creates the topics that do not exist yet (existing ones are left as they are).
pub async fn ensure_topics(brokers: &str, topics: &[(&str, i32)]) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .context("creating the Kafka admin client")?;
    let new_topics: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|(name, partitions)| NewTopic::new(name, *partitions, TopicReplication::Fixed(1)))
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = admin
        .create_topics(&new_topics, &options)
        .await
        .context("creating Kafka topics")?;
    for result in results {
        match result {
            Ok(name) => tracing::info!(topic = %name, "topic created"),
            Err((name, RDKafkaErrorCode::TopicAlreadyExists)) => {
                tracing::debug!(topic = %name, "topic exists")
            }
            Err((name, code)) => bail!("creating topic {name}: {code}"),
        }
    }
    Ok(())
}
