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
        Self::spawn_with_env(name, program, args, &[], cwd, log)
    }

    /// [`Supervised::spawn`] with extra environment variables (a role's
    /// `STEWARD_*` settings, for `steward bench`).
    pub fn spawn_with_env(
        name: &'static str,
        program: &Path,
        args: &[OsString],
        env: &[(String, String)],
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
            .envs(env.iter().map(|(k, v)| (k, v)))
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

    /// The supervised program's own process id (the supervisor's child),
    /// once it has started.
    pub fn program_pid(&self) -> Option<u32> {
        let supervisor = self.child.id().to_string();
        let entries = std::fs::read_dir("/proc").ok()?;
        entries.flatten().find_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // `pid (comm) state ppid …`: comm may hold spaces, so read
            // after its closing parenthesis.
            let after = stat.rsplit_once(')')?.1;
            let ppid = after.split_whitespace().nth(1)?;
            (ppid == supervisor).then_some(pid)
        })
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

/// The inbound topic's partitions on a local stack: intake's parallelism.
pub const INBOUND_PARTITIONS: i32 = 12;

/// The inbound topic (with `inbound_partitions`) and its dead-letter topic,
/// on `brokers` (those that exist are left as they are).
pub async fn ensure_steward_topics(
    brokers: &str,
    kafka: &steward_bus::KafkaConfig,
    inbound_partitions: i32,
) -> anyhow::Result<()> {
    ensure_topics(
        brokers,
        &[
            (&kafka.inbound_topic, inbound_partitions),
            (&kafka.dlq_topic, 1),
        ],
    )
    .await
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

/// `temporal server start-dev` on 127.0.0.1 with the given `--flag port`
/// pairs and every custom search attribute registered.
pub fn temporal_args(ports: &[(&str, u16)], log_level: &str) -> Vec<OsString> {
    let mut args: Vec<OsString> = [
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--log-level",
        log_level,
    ]
    .map(OsString::from)
    .to_vec();
    for (flag, port) in ports {
        args.extend([OsString::from(flag), port.to_string().into()]);
    }
    for (name, kind) in steward_workflows::search_attributes::REGISTRATION {
        args.extend(["--search-attribute".into(), format!("{name}={kind}").into()]);
    }
    args
}

/// `tansu broker` on `addr` with sqlite storage (`tansu.db`, resolved
/// against the working directory), so a restart keeps every message.
pub fn tansu_args(addr: &str) -> Vec<OsString> {
    let url = format!("tcp://{addr}");
    [
        "broker",
        "--storage-engine",
        "sqlite://tansu.db",
        "--listener-url",
        &url,
        "--advertised-listener-url",
        &url,
    ]
    .map(OsString::from)
    .to_vec()
}

/// A free port below the kernel's ephemeral range (Linux hands out 32768
/// and up for port 0). A port found free by a port-0 bind and released is
/// anyone's until the server binds it, and every outgoing connection and
/// port-0 listener (the tests' stand-ins) draws from that range; below it,
/// only ports picked this way are handed out. Below 31000, so a dev
/// server's UI port (its port + 1000) stays below the range too. Processes
/// running side by side start at their own offsets.
pub fn port_below_ephemeral() -> anyhow::Result<u16> {
    use std::sync::atomic::{AtomicU16, Ordering};
    const LOW: u16 = 20_000;
    const SPAN: u16 = 11_000;
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let offset = std::process::id() % u32::from(SPAN);
    for _ in 0..SPAN {
        let step = u32::from(NEXT.fetch_add(1, Ordering::Relaxed));
        // A stride of 7, coprime with 11,000, visits every port in turn.
        let port = LOW + ((offset + step * 7) % u32::from(SPAN)) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    anyhow::bail!("no free port in {LOW}..{}", LOW + SPAN)
}

/// [`temporal_args`] for a throwaway server (tests, `steward eval`) on
/// `port` plus `more`, with its HTTP API and metrics ports picked by
/// [`port_below_ephemeral`] too: left to the server, they are picked at
/// random from the ephemeral range and can be taken before it binds them
/// (in CI a stand-in's port-0 bind took one: "failed listening for HTTP
/// API … address already in use"). Its internal services' ports it still
/// picks there, where ours never are.
pub fn throwaway_temporal_args(port: u16, more: &[(&str, u16)]) -> anyhow::Result<Vec<OsString>> {
    let mut ports = vec![
        ("--port", port),
        ("--http-port", port_below_ephemeral()?),
        ("--metrics-port", port_below_ephemeral()?),
    ];
    ports.extend_from_slice(more);
    Ok(temporal_args(&ports, "error"))
}

/// A throwaway Temporal dev server (in memory, headless) and tansu broker on
/// free ports under `state_dir`, for `steward eval`. Returns the running
/// children (stopped when dropped with the process) and their addresses.
pub async fn start_ephemeral(
    state_dir: &Path,
) -> anyhow::Result<(Vec<Supervised>, String, String)> {
    let (temporal_port, kafka_port) = (port_below_ephemeral()?, port_below_ephemeral()?);
    let mut temporal_args = throwaway_temporal_args(temporal_port, &[])?;
    temporal_args.push("--headless".into());
    let temporal = Supervised::spawn(
        "temporal",
        &temporal_binary(None)?,
        &temporal_args,
        state_dir,
        &state_dir.join("temporal.log"),
    )?;
    let tansu_args = tansu_args(&format!("127.0.0.1:{kafka_port}"));
    let tansu = Supervised::spawn(
        "tansu",
        &tansu_binary(None)?,
        &tansu_args,
        state_dir,
        &state_dir.join("tansu.log"),
    )?;
    let (temporal_addr, kafka_addr) = (
        format!("127.0.0.1:{temporal_port}"),
        format!("127.0.0.1:{kafka_port}"),
    );
    wait_for_port(&kafka_addr, Duration::from_secs(60)).await?;
    wait_for_port(&temporal_addr, Duration::from_secs(90)).await?;
    Ok((vec![tansu, temporal], temporal_addr, kafka_addr))
}
