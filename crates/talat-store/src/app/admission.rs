//! What the admission policy reads and writes: admitted customers, the waitlist (accounts not
//! yet admitted, in sign-up order), applications waiting for review, reviewers, recent tickets.

use crate::codec::{int, Cols};
use crate::error::StoreError;
use crate::store::Store;
use crate::WebAccountRow;

impl Store {
    /// Customers the admission policy has admitted.
    pub async fn admitted_customers(&self) -> Result<u64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM web_accounts WHERE admitted_ms IS NOT NULL").fetch_one(&self.pool).await?;
        Cols::new(&row, "web_accounts").u64("n")
    }

    /// Admits a new account at once, or puts it on the waitlist.
    pub async fn set_admission(&self, account_id: u64, admitted: bool, now_ms: u64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let sql = if admitted { "UPDATE web_accounts SET admitted_ms = $1 WHERE id = $2" } else { "UPDATE web_accounts SET waitlisted_ms = $1 WHERE id = $2" };
        sqlx::query(sql).bind(int(now_ms)?).bind(int(account_id)?).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Admits a waitlisted account; false if it was already admitted (or does not exist).
    pub async fn admit_waitlisted(&self, account_id: u64, now_ms: u64) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE web_accounts SET admitted_ms = $1 WHERE id = $2 AND admitted_ms IS NULL")
            .bind(int(now_ms)?)
            .bind(int(account_id)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// The waitlist's head, in order (sign-up time, then id), at most `limit`.
    pub async fn waitlist(&self, limit: i64) -> Result<Vec<WebAccountRow>, StoreError> {
        let rows = sqlx::query("SELECT id FROM web_accounts WHERE admitted_ms IS NULL ORDER BY waitlisted_ms, id LIMIT $1")
            .bind(limit.clamp(0, 1_000))
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            if let Some(a) = self.web_account(Cols::new(r, "web_accounts").u64("id")?).await? {
                out.push(a);
            }
        }
        Ok(out)
    }

    /// Where a waitlisted account stands (1 = next); `None` if it is admitted.
    pub async fn waitlist_position(&self, account: &WebAccountRow) -> Result<Option<u64>, StoreError> {
        if account.admitted_ms.is_some() {
            return Ok(None);
        }
        let since = int(account.waitlisted_ms.unwrap_or(account.created_ms))?;
        let row = sqlx::query("SELECT COUNT(*) AS n FROM web_accounts WHERE admitted_ms IS NULL AND (COALESCE(waitlisted_ms, created_ms) < $1 OR (COALESCE(waitlisted_ms, created_ms) = $2 AND id < $3))")
            .bind(since)
            .bind(since)
            .bind(int(account.id)?)
            .fetch_one(&self.pool)
            .await?;
        Ok(Some(Cols::new(&row, "web_accounts").u64("n")? + 1))
    }

    /// How many wait, and since when the oldest has.
    pub async fn waitlist_length(&self) -> Result<(u64, Option<u64>), StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n, MIN(COALESCE(waitlisted_ms, created_ms)) AS oldest FROM web_accounts WHERE admitted_ms IS NULL")
            .fetch_one(&self.pool)
            .await?;
        let c = Cols::new(&row, "web_accounts");
        Ok((c.u64("n")?, c.opt_u64("oldest")?))
    }

    /// The onboarding pipeline the reviewers must clear: applications waiting for a decision
    /// (submitted, or back with more information) plus customers admitted in the last
    /// `recent_ms` who are still at level 0 with no application yet — each will need a review
    /// soon. (Older ones without an application are taken to have walked away: they no longer
    /// hold a place.)
    pub async fn kyc_pipeline(&self, now_ms: u64, recent_ms: u64) -> Result<u64, StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM kyc_applications WHERE status IN ('submitted', 'more_info')) + \
             (SELECT COUNT(*) FROM web_accounts a WHERE a.admitted_ms >= $1 AND a.kyc_level = 0 \
              AND NOT EXISTS (SELECT 1 FROM kyc_applications k WHERE k.account_id = a.id)) AS n",
        )
        .bind(int(now_ms.saturating_sub(recent_ms))?)
        .fetch_one(&self.pool)
        .await?;
        Cols::new(&row, "kyc_applications").u64("n")
    }

    pub async fn staff_with_role(&self, role: &str) -> Result<u64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM staff WHERE role = $1").bind(role).fetch_one(&self.pool).await?;
        Cols::new(&row, "staff").u64("n")
    }

    /// Tickets opened since `since_ms`.
    pub async fn tickets_since(&self, since_ms: u64) -> Result<u64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM support_tickets WHERE created_ms >= $1").bind(int(since_ms)?).fetch_one(&self.pool).await?;
        Cols::new(&row, "support_tickets").u64("n")
    }
}
