//! What a new sign-up gets: the admission decision (admitted now, or a place on the waitlist),
//! the email verification mail with its token (only the token's SHA-256 is stored), and — when
//! KYC is required — the engine limits of level 0.

use super::{admission, levels};
use crate::error::WebResult;
use crate::lang::Lang;
use crate::secrets;
use crate::Web;
use talat_store::{NewMail, WebAccountRow};

/// What happens right after a sign-up created the account: the admission decision (admitted
/// now, or a place on the waitlist), the verification mail, and — when KYC is required — the
/// engine limits of level 0 (no trading, no withdrawals).
pub async fn on_signup(web: &Web, account: &WebAccountRow) -> WebResult<()> {
    admission::decide_at_signup(web, account).await?;
    send_verification(web, account).await?;
    if web.config.onboarding.require_kyc {
        levels::apply(web, account, talat_onboarding::KycLevel::L0).await?;
    }
    Ok(())
}

/// The verification mail with its link, in the customer's language.
fn verification_mail(web: &Web, to: &str, lang: Lang, token: &str) -> NewMail {
    let site = &web.config.support.site_name;
    let link = format!("{}/#/verify?token={token}", web.config.onboarding.public_url.trim_end_matches('/'));
    let (subject, body) = lang.pick(
        (
            "Confirm your email address".to_string(),
            format!("Welcome to {site}.\n\nPlease confirm your email address by opening this link:\n\n{link}\n\nThe link works for 7 days. If you did not sign up, ignore this mail."),
        ),
        (
            "ยืนยันที่อยู่อีเมลของคุณ".to_string(),
            format!("ยินดีต้อนรับสู่ {site}\n\nโปรดยืนยันที่อยู่อีเมลของคุณโดยเปิดลิงก์นี้:\n\n{link}\n\nลิงก์ใช้ได้ 7 วัน หากคุณไม่ได้สมัคร ไม่ต้องทำอะไร"),
        ),
    );
    NewMail { kind: "email.verify".into(), to_addr: to.into(), subject: format!("[{site}] {subject}"), body: format!("{body}\n\n— {site}") }
}

/// Queues the verification mail for a new account (a fresh token; only its hash is stored).
pub async fn send_verification(web: &Web, account: &WebAccountRow) -> WebResult<()> {
    let token = secrets::token();
    let mail = verification_mail(web, &account.email, Lang::of(account), &token);
    web.store.create_email_verification(account.id, &secrets::sha256_hex(&token), web.gateway.now_ms(), &mail).await?;
    Ok(())
}
