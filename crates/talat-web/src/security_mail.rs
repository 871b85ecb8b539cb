//! The security mails a customer gets, in the customer's language (`lang`): a sign-in from a new device or address, 2FA turned on or off, a backup
//! code used, an API key created, the password changed or reset, and the reset link itself. Each goes through
//! the outbox like every other mail.

use crate::lang::Lang;
use crate::Web;
use talat_store::NewMail;

/// What happened, for the subject and the first line of the mail.
pub enum SecurityEvent<'a> {
    NewSignIn { ip: &'a str, new_device: bool },
    TwoFactor { on: bool },
    ApiKeyCreated { withdraw: bool },
    PasswordChanged,
    PasswordReset,
    BackupCodeUsed { left: u64 },
    ResetLink { link: &'a str, valid_min: u64 },
}

/// (English subject, Thai subject, English line, Thai line).
fn texts(e: &SecurityEvent<'_>) -> (String, String, String, String) {
    match e {
        SecurityEvent::NewSignIn { ip, new_device } => {
            let what = if *new_device { "a new device" } else { "a new address" };
            (
                "New sign-in to your account".into(),
                "มีการเข้าสู่ระบบใหม่".into(),
                format!("Your account was signed in to from {what} (IP {ip})."),
                format!("มีการเข้าสู่ระบบบัญชีของคุณจาก{} (IP {ip})", if *new_device { "อุปกรณ์ใหม่" } else { "ที่อยู่ใหม่" }),
            )
        }
        SecurityEvent::TwoFactor { on: true } => (
            "Two-factor authentication turned on".into(),
            "เปิดการยืนยันตัวตนสองขั้นตอนแล้ว".into(),
            "Two-factor authentication was turned on for your account.".into(),
            "บัญชีของคุณเปิดการยืนยันตัวตนสองขั้นตอนแล้ว".into(),
        ),
        SecurityEvent::TwoFactor { on: false } => (
            "Two-factor authentication turned off".into(),
            "ปิดการยืนยันตัวตนสองขั้นตอนแล้ว".into(),
            "Two-factor authentication was turned off for your account.".into(),
            "บัญชีของคุณปิดการยืนยันตัวตนสองขั้นตอนแล้ว".into(),
        ),
        SecurityEvent::ApiKeyCreated { withdraw } => (
            "New API key".into(),
            "สร้าง API key ใหม่".into(),
            format!("A new API key was created for your account{}.", if *withdraw { ", with permission to withdraw" } else { "" }),
            format!("มีการสร้าง API key ใหม่สำหรับบัญชีของคุณ{}", if *withdraw { " พร้อมสิทธิ์ถอน" } else { "" }),
        ),
        SecurityEvent::PasswordChanged => (
            "Password changed".into(),
            "เปลี่ยนรหัสผ่านแล้ว".into(),
            "Your password was changed, and your other sessions were signed out.".into(),
            "รหัสผ่านของคุณถูกเปลี่ยนแล้ว และออกจากระบบในอุปกรณ์อื่นทั้งหมด".into(),
        ),
        SecurityEvent::PasswordReset => (
            "Password reset".into(),
            "ตั้งรหัสผ่านใหม่แล้ว".into(),
            "Your password was reset with a link from a mail, and every session was signed out.".into(),
            "รหัสผ่านของคุณถูกตั้งใหม่ผ่านลิงก์ทางอีเมล และออกจากระบบทุกอุปกรณ์แล้ว".into(),
        ),
        SecurityEvent::BackupCodeUsed { left } => (
            "A backup code was used".into(),
            "มีการใช้รหัสสำรอง".into(),
            format!("A backup code was used to sign in to your account; {left} are left."),
            format!("มีการใช้รหัสสำรองเพื่อเข้าสู่ระบบบัญชีของคุณ เหลือ {left} รหัส"),
        ),
        SecurityEvent::ResetLink { link, valid_min } => (
            "Reset your password".into(),
            "ตั้งรหัสผ่านใหม่".into(),
            format!("Someone asked to reset your password. Open this link within {valid_min} minutes to choose a new one (it works once):\n{link}"),
            format!("มีคำขอตั้งรหัสผ่านใหม่ เปิดลิงก์นี้ภายใน {valid_min} นาทีเพื่อตั้งรหัสผ่านใหม่ (ใช้ได้ครั้งเดียว):\n{link}"),
        ),
    }
}

/// The mail for `event`, to `to`, in `lang`.
pub fn mail(web: &Web, to: &str, lang: Lang, event: &SecurityEvent<'_>) -> NewMail {
    let site = &web.config.support.site_name;
    let (subject_en, subject_th, en, th) = texts(event);
    let unexpected = match event {
        SecurityEvent::ResetLink { .. } => {
            lang.pick("If you did not ask for this, ignore this mail: your password stays as it is.", "หากคุณไม่ได้ขอ ไม่ต้องทำอะไร รหัสผ่านเดิมยังใช้ได้")
        }
        _ => lang.pick("If this was not you, change your password and contact support at once.", "หากไม่ใช่คุณ โปรดเปลี่ยนรหัสผ่านและติดต่อฝ่ายบริการลูกค้าทันที"),
    };
    let (subject, line) = lang.pick((subject_en, en), (subject_th, th));
    NewMail { kind: "security".into(), to_addr: to.into(), subject: format!("[{site}] {subject}"), body: format!("{line}\n\n{unexpected}\n\n— {site}") }
}

/// Queues the mail for `event` to the account with email `to`, in its language; a failure to
/// queue is logged, never turned into an error of the action it reports (the action already
/// happened).
pub async fn send(web: &Web, to: &str, event: SecurityEvent<'_>) {
    let lang = match web.store.web_account_by_email(to).await {
        Ok(account) => account.as_ref().map_or(Lang::Th, Lang::of),
        Err(e) => {
            tracing::warn!("security mail: the account's language could not be read: {e}");
            Lang::Th
        }
    };
    let m = mail(web, to, lang, &event);
    if let Err(e) = web.store.enqueue_mail(&[m], web.gateway.now_ms()).await {
        tracing::warn!("security mail to the outbox failed: {e}");
    }
}
