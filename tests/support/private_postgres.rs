//! A PostgreSQL cluster of one test's own (initdb into a scratch folder, on
//! a free port) that the test may stop and start again, while the shared
//! server keeps serving every other test. Uses the same server binaries
//! (and so the same pgvector) as the machine's cluster.

use std::path::PathBuf;
use std::process::Command;

pub struct PrivatePostgres {
    dir: PathBuf,
    port: u16,
}

/// The newest installed server's binaries (Debian: /usr/lib/postgresql/N/bin).
fn bin(tool: &str) -> PathBuf {
    let newest = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries under /usr/lib/postgresql")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .max()
        .expect("an installed PostgreSQL major version");
    PathBuf::from(format!("/usr/lib/postgresql/{newest}/bin/{tool}"))
}

/// Runs a server tool as `postgres` when the test runs as root (initdb and
/// the server refuse to run as root): its output, and whether it succeeded.
fn run_as_postgres(tool: &str, args: &[&str]) -> (bool, String) {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let mut command = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin(tool));
        c
    } else {
        Command::new(bin(tool))
    };
    match command.args(args).output() {
        Ok(o) => (
            o.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        ),
        Err(err) => (false, err.to_string()),
    }
}

fn as_postgres(tool: &str, args: &[&str]) {
    let (ok, output) = run_as_postgres(tool, args);
    assert!(ok, "{tool} {args:?}: {output}");
}

impl PrivatePostgres {
    /// A fresh cluster, trusted local connections, started.
    pub fn start() -> Self {
        let dir =
            std::env::temp_dir().join(format!("steward-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let _ = Command::new("chown").arg("postgres").arg(&dir).status();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let data = dir.join("data");
        let data = data.to_str().unwrap();
        as_postgres(
            "initdb",
            &["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        );
        let pg = Self { dir, port };
        pg.resume();
        pg
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    fn pg_ctl(&self, args: &[&str]) {
        let data = self.dir.join("data");
        let mut all = vec!["-D", data.to_str().unwrap()];
        all.extend_from_slice(args);
        as_postgres("pg_ctl", &all);
    }

    /// Stops the server now (in-flight queries fail, as in a crash).
    pub fn stop(&self) {
        self.pg_ctl(&["stop", "-m", "immediate", "-w"]);
    }

    /// Starts the server again and waits until it accepts connections.
    pub fn resume(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("server.log");
        self.pg_ctl(&["start", "-w", "-o", &options, "-l", log.to_str().unwrap()]);
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let data = data.to_str().unwrap_or_default();
        let _ = run_as_postgres("pg_ctl", &["-D", data, "stop", "-m", "immediate"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
