//! Throwaway databases beside the configured one: each bench stage that
//! needs its own data gets a fresh, migrated database and drops it after.

/// A migrated database named `<prefix>_<uuid>` on the configured server.
pub(super) struct ScratchDatabase {
    pub(super) pool: sqlx::PgPool,
    pub(super) url: String,
}

/// `postgres://…/db` → (`postgres://…`, `db`).
fn split(url: &str) -> (&str, &str) {
    url.rsplit_once('/').unwrap_or((url, ""))
}

impl ScratchDatabase {
    pub(super) async fn create(database_url: &str, prefix: &str) -> anyhow::Result<Self> {
        let (base, _) = split(database_url);
        let url = format!("{base}/{prefix}_{}", uuid::Uuid::new_v4().simple());
        steward_activities::db::ensure_database(&url).await?;
        let pool = steward_activities::db::pool(&url, 8)?;
        steward_activities::db::migrate(&pool).await?;
        Ok(Self { pool, url })
    }

    /// Closes the pool and drops the database (forcing out any session).
    pub(super) async fn drop_database(self) -> anyhow::Result<()> {
        self.pool.close().await;
        let (base, name) = split(&self.url);
        let admin = sqlx::PgPool::connect(&format!("{base}/postgres")).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&admin)
            .await?;
        Ok(())
    }
}
