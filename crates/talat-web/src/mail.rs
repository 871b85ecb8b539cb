//! The mail sender: delivers the outbox (`mail_outbox`, written in the transaction of the change
//! each mail announces) over SMTP, oldest first, recording every attempt. Without an SMTP URL
//! (the demo) nothing is sent and the console's mail viewer shows the outbox instead.
//!
//! A failed delivery is retried on later passes up to `max_attempts`; a mail is marked sent
//! only after the server accepted it, so a crash between the two resends it (at least once —
//! the receiving side sees a duplicate rather than a loss).

use crate::Web;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use talat_store::MailRow;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// `smtp://host:port` of the relay that takes talat's mail (a local MTA such as Postfix,
    /// which does TLS and retries onward); none: mail stays in the outbox.
    pub smtp_url: Option<String>,
    /// The sender address.
    pub from: String,
    /// How often the outbox is looked at, and most mails per pass.
    pub every_ms: u64,
    pub batch: i64,
    /// Attempts before a mail is left for staff to look at.
    pub max_attempts: u64,
    /// Longest wait for the SMTP server per mail.
    pub timeout_ms: u64,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig { smtp_url: None, from: "talat <no-reply@talat.local>".into(), every_ms: 5_000, batch: 50, max_attempts: 5, timeout_ms: 10_000 }
    }
}

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delivered {
    pub sent: u64,
    pub failed: u64,
}

/// The transport for `config`, or why it cannot be built.
pub fn transport(config: &MailConfig) -> Result<Option<AsyncSmtpTransport<Tokio1Executor>>, String> {
    let Some(url) = &config.smtp_url else { return Ok(None) };
    let bad = || format!("mail.smtp_url {url:?} must be smtp://host:port");
    let rest = url.strip_prefix("smtp://").ok_or_else(bad)?.trim_end_matches('/');
    let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    if host.is_empty() || host.contains(['/', '@', '?']) {
        return Err(bad());
    }
    let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(port);
    Ok(Some(builder.timeout(Some(Duration::from_millis(config.timeout_ms))).build()))
}

fn message(from: &Mailbox, m: &MailRow) -> Result<Message, String> {
    let to: Mailbox = m.to_addr.parse().map_err(|e| format!("bad recipient {:?}: {e}", m.to_addr))?;
    Message::builder().from(from.clone()).to(to).subject(m.subject.clone()).header(ContentType::TEXT_PLAIN).body(m.body.clone()).map_err(|e| e.to_string())
}

/// One pass over the outbox: at most `config.batch` mails, each attempt recorded.
pub async fn deliver(web: &Web, config: &MailConfig, smtp: &AsyncSmtpTransport<Tokio1Executor>) -> Result<Delivered, talat_store::StoreError> {
    let from: Mailbox = config.from.parse().unwrap_or_else(|_| "no-reply@talat.local".parse().expect("a valid fallback address"));
    let mut done = Delivered::default();
    for m in web.store.pending_mail(config.max_attempts, config.batch).await? {
        let result = match message(&from, &m) {
            Ok(msg) => smtp.send(msg).await.map(|_| ()).map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        let now = web.gateway.now_ms();
        match result {
            Ok(()) => {
                web.store.mail_attempted(m.id, now, None).await?;
                done.sent += 1;
            }
            Err(e) => {
                tracing::warn!("mail {} to {}: {e}", m.id, m.to_addr);
                web.store.mail_attempted(m.id, now, Some(&e)).await?;
                done.failed += 1;
            }
        }
    }
    Ok(done)
}

/// Delivers the outbox every `config.every_ms` for as long as `web` lives; `None` without an
/// SMTP URL. A bad URL is an error at start, not a silent loss later.
pub fn spawn(web: &Arc<Web>, config: MailConfig) -> Result<Option<tokio::task::JoinHandle<()>>, String> {
    let Some(smtp) = transport(&config)? else { return Ok(None) };
    let weak = Arc::downgrade(web);
    Ok(Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(config.every_ms.max(100)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(web) = weak.upgrade() else { break };
            match deliver(&web, &config, &smtp).await {
                Ok(d) if d == Delivered::default() => {}
                Ok(d) => tracing::info!("mail: {} sent, {} failed", d.sent, d.failed),
                Err(e) => tracing::warn!("mail: outbox read failed: {e}"),
            }
        }
    })))
}
