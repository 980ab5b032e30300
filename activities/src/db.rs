//! The Postgres connection pool and the embedded migrations.

use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// The migrations in `migrations/`, compiled into the binary so that
/// `steward migrate` needs no files on disk.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// A lazily connecting pool: start-up does not fail when Postgres is briefly
/// down; `/ready` reports it instead.
pub fn pool(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let options = PgConnectOptions::from_str(url)?.application_name("steward");
    Ok(PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(options))
}

/// Applies every pending migration (idempotent; sqlx records what ran and
/// takes an advisory lock, so two processes migrating at once is safe).
#[tracing::instrument(skip_all)]
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// Creates the database named in `url` when it does not exist yet (a fresh
/// machine has the server but not our database).
#[tracing::instrument(skip_all)]
pub async fn ensure_database(url: &str) -> Result<(), sqlx::Error> {
    use sqlx::ConnectOptions;
    let options = PgConnectOptions::from_str(url)?;
    let Some(name) = options.get_database().map(str::to_owned) else {
        return Ok(());
    };
    let mut admin = options.clone().database("postgres").connect().await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut admin)
            .await?;
    if !exists {
        // Identifiers cannot be bound as parameters; quote it ourselves.
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        match sqlx::query(&format!("CREATE DATABASE {quoted}"))
            .execute(&mut admin)
            .await
        {
            Ok(_) => tracing::info!(database = %name, "database created"),
            // Another process created it between our check and our create.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
