//! `steward worker` as a process of its own, so that a test can kill it
//! with SIGKILL (a crash: no drain, no goodbye to Temporal) and start it
//! again. It gets the test's database, Temporal, task queue, Twilio and
//! human-queue stand-ins and SLA policy through `STEWARD_*` variables.

use secrecy::ExposeSecret;
use std::process::{Child, Command, Stdio};
use steward::settings::Settings;

/// A running `steward worker`; killed (SIGKILL) when dropped, so a failing
/// test leaves no worker behind.
pub struct WorkerProcess {
    child: Child,
}

impl WorkerProcess {
    /// Starts `steward worker` for `s`; its output is appended to `log`
    /// (inherited when `None`).
    pub fn spawn(s: &Settings, log: Option<&std::path::Path>) -> Self {
        let twilio = &s.activities.twilio;
        let sla = &s.activities.policy.sla;
        let mut command = Command::new(env!("CARGO_BIN_EXE_steward"));
        command
            .arg("worker")
            .env("STEWARD_DATABASE__URL", s.database.url())
            .env(
                "STEWARD_TEMPORAL__ADDRESS",
                s.temporal.address.as_ref().unwrap(),
            )
            .env("STEWARD_INTAKE__TASK_QUEUE", &s.intake.task_queue)
            .env("STEWARD_ACTIVITIES__TWILIO__API_BASE", &twilio.api_base)
            .env(
                "STEWARD_ACTIVITIES__TWILIO__ACCOUNT_SID",
                &twilio.account_sid,
            )
            .env(
                "STEWARD_ACTIVITIES__TWILIO__AUTH_TOKEN",
                twilio.auth_token.expose_secret(),
            )
            .env(
                "STEWARD_ACTIVITIES__TWILIO__WHATSAPP_FROM",
                &twilio.whatsapp_from,
            )
            .env(
                "STEWARD_ACTIVITIES__HUMAN_QUEUE_WEBHOOK",
                s.activities
                    .human_queue_webhook
                    .as_ref()
                    .unwrap()
                    .expose_secret(),
            )
            .env(
                "STEWARD_ACTIVITIES__POLICY__SLA__FIRST_RESPONSE_WHATSAPP_SECS",
                sla.first_response_whatsapp_secs.to_string(),
            )
            .env(
                "STEWARD_ACTIVITIES__POLICY__SLA__QUIET_WINDOW_SECS",
                sla.quiet_window_secs.to_string(),
            )
            .env("STEWARD_LOG__FILTER", "warn")
            .stdin(Stdio::null());
        if let Some(log) = log {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .unwrap();
            command.stdout(file.try_clone().unwrap()).stderr(file);
        }
        Self {
            child: command.spawn().unwrap(),
        }
    }

    /// SIGKILL, and waits until the process is gone.
    pub fn kill(mut self) {
        self.kill_now();
    }

    fn kill_now(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.kill_now();
    }
}
