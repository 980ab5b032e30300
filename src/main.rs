//! `steward`: telemetry, then config, then build the app, then run.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use steward::app::{self, Roles};
use steward::settings::Settings;
use steward::{dev, telemetry, webhook_sign};

#[derive(Parser)]
#[command(name = "steward", version, about = "A 24/7 customer-success agent")]
struct Cli {
    /// A TOML settings file (default: ./steward.toml when present).
    #[arg(long, global = true, env = "STEWARD_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The whole stack with embedded defaults: Temporal, broker, migrations, all roles.
    Dev,
    /// The webhook gateway (HTTP).
    Gateway,
    /// The Kafka → Temporal intake consumer.
    Intake,
    /// The Temporal worker (ticket workflows and activities).
    Worker,
    /// Creates the database if needed and applies the migrations.
    Migrate,
    /// Customer identity maintenance.
    Customers {
        #[command(subcommand)]
        command: CustomersCommand,
    },
    /// Knowledge-base maintenance.
    Kb {
        #[command(subcommand)]
        command: KbCommand,
    },
    /// Runs a labelled dataset (tickets, identity scenarios, KB) through the
    /// real pipeline and prints the figures as JSON (+ eval-report.md).
    Eval {
        #[arg(long, default_value = "../shared/eval")]
        dataset: PathBuf,
        /// Print only the JSON object.
        #[arg(long)]
        json: bool,
        /// K-fold cross-validation: each fold's tickets are triaged by a
        /// model fitted on the other folds (for the training set).
        #[arg(long)]
        cv: Option<usize>,
        /// Judge each ticket in-process (triage, search, draft, reply
        /// check) without Temporal or the broker: quick, for comparing
        /// methods; report the full run.
        #[arg(long)]
        direct: bool,
        /// With --cv: these labelled folders' tickets join every fold's
        /// training data (the weights, not the thresholds), as with
        /// `steward train --also`.
        #[arg(long, requires = "cv")]
        also: Vec<PathBuf>,
    },
    /// Fits the triage model on a dataset folder's tickets and writes the
    /// artefact the worker loads (deterministic: fixed seed and folds).
    Train {
        #[arg(long, default_value = "../shared/eval/train")]
        dataset: PathBuf,
        #[arg(long, default_value = "activities/models/triage.json")]
        out: PathBuf,
        /// Also report triage alone (model and phrase rules) on this
        /// labelled set, e.g. the development set (nothing is fitted on it).
        #[arg(long)]
        report_on: Option<PathBuf>,
        /// Further labelled folders (e.g. `docs/near-miss-probes/a`) whose
        /// tickets add to the weights' data; thresholds are still chosen
        /// on --dataset's cross-validated scores.
        #[arg(long)]
        also: Vec<PathBuf>,
    },
    /// The whole stack under load, beside the platform's own limits:
    /// JSON on stdout, report.md and latency.png in --out (reported,
    /// never asserted). Build optimised: `cargo run --profile fast`.
    Bench {
        #[command(subcommand)]
        command: Option<BenchCommand>,
        /// Print only the JSON object.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        load: steward::bench::BenchOptions,
    },
    /// Exits 0 when GET URL answers 2xx (container health checks; the
    /// runtime image has no curl).
    Probe { url: String },
    /// Prints the agents' saved views of the Temporal UI: a link per view
    /// and a console snippet that installs them with the ticket columns.
    Desk {
        #[arg(long, default_value = "http://127.0.0.1:8233")]
        ui: String,
        /// The agent whose tickets the "Mine" view lists.
        #[arg(long, default_value = "sam")]
        agent: String,
    },
    /// Prints a curl command posting a correctly signed WhatsApp webhook.
    SignWhatsapp {
        #[arg(long, default_value = "+14155550100")]
        from: String,
        #[arg(long, default_value = "+14155550199")]
        to: String,
        #[arg(long, default_value = "Hello, I need help with my order.")]
        body: String,
        #[arg(long, default_value = "Ana Customer")]
        name: String,
        /// The MessageSid; reuse one to simulate a Twilio retry.
        #[arg(long)]
        sid: Option<String>,
        /// The gateway's public base URL (default: settings, else http://127.0.0.1:8080).
        #[arg(long)]
        url: Option<String>,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Writes report.md and latency.png again from DIR/report.json.
    Render { dir: PathBuf },
    /// KB search latency over a generated corpus: hybrid (query embedding
    /// included) beside the raw pgvector query.
    Kb {
        #[arg(long, default_value = "demo-kb")]
        kb: PathBuf,
        #[arg(long, default_value_t = 10_000)]
        passages: usize,
        #[arg(long, default_value_t = 200)]
        queries: usize,
    },
    /// Triage latency per message: the committed model beside each
    /// `--with` artefact, interleaved in one run.
    Triage {
        #[arg(long)]
        dataset: PathBuf,
        /// Another triage artefact to measure beside the committed one.
        #[arg(long)]
        with: Vec<PathBuf>,
        /// Times each message is triaged by each model.
        #[arg(long, default_value_t = 1)]
        rounds: usize,
    },
}

#[derive(Subcommand)]
enum CustomersCommand {
    /// Undoes a link: the identity (e.g. `--kind phone --value +14155550100`)
    /// becomes its own customer again; its links are marked reverted.
    Unmerge {
        #[arg(long, value_parser = ["email", "phone", "external"])]
        kind: String,
        #[arg(long)]
        value: String,
    },
}

#[derive(Subcommand)]
enum KbCommand {
    /// Imports the Markdown articles in DIR (unchanged articles are skipped).
    Import { dir: PathBuf },
    /// Prints the passages a query retrieves, with scores.
    Search { query: String },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref()).context("loading settings")?;
    telemetry::init(&settings.log);
    // Every role and `kb` command embeds with the same configured model.
    steward_activities::kb::remote::configure(&settings.activities.embeddings);
    match cli.command {
        Command::Dev => dev::run(settings).await,
        Command::Gateway => {
            settings.refuse_development_secrets()?;
            app::start(&settings, Roles::GATEWAY)
                .await?
                .run_until_stopped()
                .await
        }
        Command::Intake => {
            app::start(&settings, Roles::INTAKE)
                .await?
                .run_until_stopped()
                .await
        }
        Command::Worker => {
            app::start(&settings, Roles::WORKER)
                .await?
                .run_until_stopped()
                .await
        }
        Command::Migrate => {
            steward_activities::db::ensure_database(settings.database.url()).await?;
            let pool = steward_activities::db::pool(settings.database.url(), 1)?;
            steward_activities::db::migrate(&pool).await?;
            println!("database migrated");
            Ok(())
        }
        Command::Bench {
            command:
                Some(BenchCommand::Kb {
                    kb,
                    passages,
                    queries,
                }),
            ..
        } => steward::bench::kb::kb(settings.database.url(), &kb, passages, queries).await,
        Command::Bench {
            command:
                Some(BenchCommand::Triage {
                    dataset,
                    with,
                    rounds,
                }),
            ..
        } => steward::bench::triage::run(&dataset, &with, rounds).await,
        Command::Bench {
            command: Some(BenchCommand::Render { dir }),
            ..
        } => steward::bench::render(&dir),
        Command::Bench {
            command: None,
            json,
            load,
        } => {
            let report = steward::bench::run(settings, load).await?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!("{}", serde_json::to_string_pretty(&report)?);
            }
            Ok(())
        }
        Command::Eval {
            dataset,
            json,
            cv,
            direct,
            also,
        } => steward::eval::run(settings, &dataset, json, cv, &also, direct).await,
        Command::Train {
            dataset,
            out,
            report_on,
            also,
        } => steward::train::run(&dataset, &out, report_on.as_deref(), &also).await,
        Command::Desk { ui, agent } => steward::desk_views::print(&ui, &agent),
        Command::Probe { url } => {
            let response = reqwest::Client::new()
                .get(&url)
                .timeout(std::time::Duration::from_secs(5))
                .send()
                .await
                .with_context(|| format!("GET {url}"))?;
            anyhow::ensure!(
                response.status().is_success(),
                "GET {url}: {}",
                response.status()
            );
            Ok(())
        }
        Command::Customers {
            command: CustomersCommand::Unmerge { kind, value },
        } => {
            use steward_domain::Identity;
            let identity = match kind.as_str() {
                "email" => Identity::email(&value)?,
                "phone" => Identity::phone(&value)?,
                _ => Identity::external(&value)?,
            };
            let pool = steward_activities::db::pool(settings.database.url(), 1)?;
            let customer = steward_activities::identity::unmerge(&pool, &identity).await?;
            println!("{kind} {value} is now customer {customer}; its links are marked reverted");
            Ok(())
        }
        Command::Kb { command } => {
            let pool = steward_activities::db::pool(settings.database.url(), 2)?;
            steward_activities::db::migrate(&pool).await?;
            match command {
                KbCommand::Import { dir } => {
                    let (changed, unchanged) = steward_activities::kb::import_dir_with_progress(
                        &pool,
                        &dir,
                        |done, total| {
                            let filled = done * 30 / total.max(1);
                            eprint!(
                                "\r[{}{}] {done}/{total} articles",
                                "#".repeat(filled),
                                ".".repeat(30 - filled)
                            );
                        },
                    )
                    .await?;
                    eprintln!();
                    println!("imported {changed} article(s), {unchanged} unchanged");
                }
                KbCommand::Search { query } => {
                    let results = steward_activities::kb::search(&pool, &query, 5).await?;
                    println!("confidence {:.2}", results.confidence);
                    for p in results.passages {
                        println!("{:>7.3}  {}  {}", p.score, p.article_slug, p.title);
                    }
                }
            }
            Ok(())
        }
        Command::SignWhatsapp {
            from,
            to,
            body,
            name,
            sid,
            url,
        } => {
            let sid = sid.unwrap_or_else(|| format!("SM{}", uuid::Uuid::new_v4().simple()));
            let base = url.unwrap_or_else(|| settings.gateway.public_url());
            let form = webhook_sign::whatsapp_form(&from, &to, &body, &sid, &name);
            println!(
                "{}",
                webhook_sign::curl_command(&settings.gateway, &base, &form)
            );
            Ok(())
        }
    }
}
