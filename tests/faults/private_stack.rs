//! A broker and a Temporal server of one test's own, on free ports, with
//! persistent storage in a scratch folder (tansu's sqlite file, Temporal's
//! `--db-filename`), so the test can stop either and start it again on the
//! same port and state while the shared servers keep serving other tests.

use std::path::PathBuf;
use std::time::Duration;
use steward::stack::{self, Supervised};

pub(crate) struct PrivateStack {
    dir: PathBuf,
    kafka_port: u16,
    temporal_port: u16,
    tansu: Option<Supervised>,
    temporal: Option<Supervised>,
}

/// A free port below the kernel's ephemeral range, so a server stopped
/// and started again on it cannot lose it meanwhile (in CI a restarted
/// Temporal's port was taken and answered HTTP 404).
fn free_port() -> u16 {
    stack::port_below_ephemeral().unwrap()
}

impl PrivateStack {
    pub(crate) async fn start() -> Self {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("faults-stack")
            .join(uuid::Uuid::new_v4().simple().to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let mut private = Self {
            dir,
            kafka_port: free_port(),
            temporal_port: free_port(),
            tansu: None,
            temporal: None,
        };
        private.start_broker().await;
        private.start_temporal().await;
        private
    }

    pub(crate) fn kafka(&self) -> String {
        format!("127.0.0.1:{}", self.kafka_port)
    }

    pub(crate) fn temporal(&self) -> String {
        format!("127.0.0.1:{}", self.temporal_port)
    }

    /// Starts tansu on its port and sqlite file; returns once it listens.
    pub(crate) async fn start_broker(&mut self) {
        assert!(self.tansu.is_none(), "the broker runs already");
        let tansu = Supervised::spawn(
            "tansu",
            &stack::tansu_binary(None).unwrap(),
            &stack::tansu_args(&self.kafka()),
            &self.dir,
            &self.dir.join("tansu.log"),
        )
        .unwrap();
        self.tansu = Some(tansu);
        stack::wait_for_port(&self.kafka(), Duration::from_secs(60))
            .await
            .unwrap();
    }

    /// Stops the broker; returns once its port is closed.
    pub(crate) async fn stop_broker(&mut self) {
        self.tansu.take().expect("the broker runs").stop().await;
        self.wait_closed(self.kafka_port).await;
    }

    /// Starts the dev server on its port and database file; returns once
    /// its frontend answers health checks.
    pub(crate) async fn start_temporal(&mut self) {
        assert!(self.temporal.is_none(), "Temporal runs already");
        let mut args = stack::throwaway_temporal_args(self.temporal_port, &[]).unwrap();
        args.push("--headless".into());
        args.push("--db-filename".into());
        args.push(self.dir.join("temporal.db").into());
        let temporal = Supervised::spawn(
            "temporal",
            &stack::temporal_binary(None).unwrap(),
            &args,
            &self.dir,
            &self.dir.join("temporal.log"),
        )
        .unwrap();
        self.temporal = Some(temporal);
        let settings = steward::settings::TemporalSettings {
            address: Some(self.temporal()),
            ..Default::default()
        };
        steward::temporal::wait_until_serving(&settings, Duration::from_secs(90))
            .await
            .unwrap();
    }

    /// Stops the dev server; returns once its port is closed.
    pub(crate) async fn stop_temporal(&mut self) {
        self.temporal.take().expect("Temporal runs").stop().await;
        self.wait_closed(self.temporal_port).await;
    }

    async fn wait_closed(&self, port: u16) {
        let addr = format!("127.0.0.1:{port}");
        crate::support::eventually(&format!("{addr} to close"), Duration::from_secs(30), || {
            let addr = addr.clone();
            async move {
                tokio::net::TcpStream::connect(&addr)
                    .await
                    .is_err()
                    .then_some(())
            }
        })
        .await;
    }
}

impl PrivateStack {
    /// Stops both servers and removes their state.
    pub(crate) async fn stop(mut self) {
        if self.tansu.is_some() {
            self.stop_broker().await;
        }
        if self.temporal.is_some() {
            self.stop_temporal().await;
        }
    }
}

impl Drop for PrivateStack {
    fn drop(&mut self) {
        // Dropping a supervisor closes its stdin: it stops its server.
        // (after a failure: the servers stop in the background).
        drop(self.tansu.take());
        drop(self.temporal.take());
        if std::thread::panicking() {
            eprintln!("the private stack's logs: {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
