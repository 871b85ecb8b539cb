//! PromptPay / Thai QR payloads (EMVCo merchant-presented TLV), generated and parsed.
