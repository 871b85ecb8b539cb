// Thai and English. Strings are keyed by their English text; `t` returns the Thai one when the
// language is Thai. Numbers group exactly from decimal strings; dates use Intl (th-TH: Buddhist
// calendar).

export type Lang = "en" | "th";

const TH: Record<string, string> = {
  "Markets": "ตลาด",
  "Trade": "เทรด",
  "Portfolio": "พอร์ต",
  "Orders": "คำสั่งซื้อขาย",
  "API keys": "API คีย์",
  "Security": "ความปลอดภัย",
  "Log in": "เข้าสู่ระบบ",
  "Log out": "ออกจากระบบ",
  "Sign up": "สมัครสมาชิก",
  "Email": "อีเมล",
  "Password": "รหัสผ่าน",
  "2FA code": "รหัส 2FA",
  "Language": "ภาษา",
  "Symbol": "คู่เหรียญ",
  "Last price": "ราคาล่าสุด",
  "24h change": "เปลี่ยนแปลง 24 ชม.",
  "24h high": "สูงสุด 24 ชม.",
  "24h low": "ต่ำสุด 24 ชม.",
  "Volume (THB)": "ปริมาณ (บาท)",
  "Bid": "เสนอซื้อ",
  "Ask": "เสนอขาย",
  "Buy": "ซื้อ",
  "Sell": "ขาย",
  "Side": "ฝั่ง",
  "Order type": "ประเภทคำสั่ง",
  "Limit": "ลิมิต",
  "Market": "ตลาด",
  "Post-only": "โพสต์อย่างเดียว",
  "Stop-limit": "สต็อปลิมิต",
  "Price": "ราคา",
  "Stop price": "ราคาทริกเกอร์",
  "Amount": "จำนวน",
  "Spend (THB)": "ใช้เงิน (บาท)",
  "Fee": "ค่าธรรมเนียม",
  "Total": "รวม",
  "Place order": "ส่งคำสั่ง",
  "Cancel": "ยกเลิก",
  "Cancel all": "ยกเลิกทั้งหมด",
  "Open orders": "คำสั่งที่เปิดอยู่",
  "Order history": "ประวัติคำสั่ง",
  "Trade history": "ประวัติการซื้อขาย",
  "Order book": "สมุดคำสั่ง",
  "Recent trades": "การซื้อขายล่าสุด",
  "Depth": "ความลึกตลาด",
  "Time": "เวลา",
  "Status": "สถานะ",
  "Filled": "จับคู่แล้ว",
  "Asset": "สินทรัพย์",
  "Available": "ใช้ได้",
  "Held": "ถูกกัน",
  "Value (THB)": "มูลค่า (บาท)",
  "Total value": "มูลค่ารวม",
  "Deposits and withdrawals": "ฝากและถอน",
  "Kind": "ประเภท",
  "Permissions": "สิทธิ์",
  "IP allow-list": "IP ที่อนุญาต",
  "Create key": "สร้างคีย์",
  "Revoke": "เพิกถอน",
  "Created": "สร้างเมื่อ",
  "Key": "คีย์",
  "Secret": "ซีเคร็ต",
  "Copy the secret now: it is shown this once.": "คัดลอกซีเคร็ตตอนนี้: จะแสดงเพียงครั้งเดียว",
  "Two-factor authentication": "การยืนยันตัวตนสองขั้นตอน",
  "Set up 2FA": "ตั้งค่า 2FA",
  "Enable 2FA": "เปิดใช้ 2FA",
  "Disable 2FA": "ปิด 2FA",
  "2FA is on.": "เปิดใช้ 2FA แล้ว",
  "2FA is off.": "ยังไม่ได้เปิด 2FA",
  "The exchange is in maintenance: only cancels are accepted.": "ตลาดอยู่ระหว่างปิดปรับปรุง: ยกเลิกคำสั่งได้เท่านั้น",
  "is halted: no orders are accepted.": "หยุดการซื้อขาย: ไม่รับคำสั่งใด ๆ",
  "is cancel-only: new orders are refused.": "ยกเลิกได้อย่างเดียว: ไม่รับคำสั่งใหม่",
  "is post-only: only post-only limit orders are accepted.": "รับเฉพาะคำสั่งโพสต์อย่างเดียว",
  "Required.": "จำเป็นต้องกรอก",
  "Enter a number such as 1.5.": "กรอกตัวเลข เช่น 1.5",
  "Must be more than zero.": "ต้องมากกว่าศูนย์",
  "Price must be a multiple of": "ราคาต้องเป็นพหุคูณของ",
  "Amount must be a multiple of": "จำนวนต้องเป็นพหุคูณของ",
  "Order value must be at least": "มูลค่าคำสั่งต้องไม่น้อยกว่า",
  "Enter a valid email address.": "กรอกอีเมลให้ถูกต้อง",
  "At least 10 characters, not all digits.": "อย่างน้อย 10 ตัวอักษร และไม่ใช่ตัวเลขทั้งหมด",
  "Enter the 6-digit code.": "กรอกรหัส 6 หลัก",
  "Enter IPv4 or IPv6 addresses, separated by commas.": "กรอกที่อยู่ IPv4 หรือ IPv6 คั่นด้วยจุลภาค",
  "Choose at least one permission.": "เลือกอย่างน้อยหนึ่งสิทธิ์",
  "Order placed.": "ส่งคำสั่งแล้ว",
  "Loading…": "กำลังโหลด…",
  "No account yet?": "ยังไม่มีบัญชี?",
  "Have an account?": "มีบัญชีแล้ว?",
  "Chart": "กราฟ",
  "Deposit": "ฝาก",
  "Withdrawal": "ถอน",
  "Previous": "ก่อนหน้า",
  "Next": "ถัดไป",
  // Support
  "Support": "ช่วยเหลือ",
  "New ticket": "แจ้งเรื่องใหม่",
  "My tickets": "เรื่องที่ฉันแจ้ง",
  "No tickets yet.": "ยังไม่มีเรื่องที่แจ้ง",
  "Subject": "หัวข้อ",
  "Category": "หมวดหมู่",
  "Complaint": "การร้องเรียน",
  "Response": "การตอบกลับ",
  "Message": "ข้อความ",
  "Messages": "ข้อความ",
  "Related to": "เกี่ยวข้องกับ",
  "Nothing": "ไม่มี",
  "Order": "คำสั่งซื้อขาย",
  "Order, deposit or withdrawal id": "หมายเลขคำสั่งซื้อขาย การฝาก หรือการถอน",
  "This is a complaint": "นี่คือการร้องเรียน",
  "A complaint is handled under the complaint procedure: we acknowledge it, investigate and tell you the outcome.": "การร้องเรียนจะดำเนินการตามขั้นตอนการรับเรื่องร้องเรียน: เราจะแจ้งรับเรื่อง ตรวจสอบ และแจ้งผลให้คุณทราบ",
  "Attachments (up to 3: PNG, JPEG, PDF or text, 2 MB each)": "ไฟล์แนบ (ไม่เกิน 3 ไฟล์: PNG, JPEG, PDF หรือข้อความ ไฟล์ละไม่เกิน 2 MB)",
  "At most 3 files.": "แนบได้ไม่เกิน 3 ไฟล์",
  "Only PNG, JPEG, PDF or text files:": "รับเฉพาะไฟล์ PNG, JPEG, PDF หรือไฟล์ข้อความ:",
  "Each file must be at most 2 MB:": "แต่ละไฟล์ต้องไม่เกิน 2 MB:",
  "At most 200 characters.": "ไม่เกิน 200 ตัวอักษร",
  "At most 5000 characters.": "ไม่เกิน 5000 ตัวอักษร",
  "Send": "ส่ง",
  "History": "ประวัติ",
  "Your reply": "คำตอบของคุณ",
  "Reply": "ตอบกลับ",
  "Send reply": "ส่งคำตอบ",
  "Raise as a complaint": "ยื่นเป็นเรื่องร้องเรียน",
  "What went wrong (optional)": "เกิดปัญหาอะไร (ไม่บังคับ)",
  "Confirm the complaint": "ยืนยันการร้องเรียน",
  "Not happy with how this is handled?": "ไม่พอใจการดำเนินการเรื่องนี้?",
  "This ticket is closed: open a new ticket if you need more help.": "เรื่องนี้ปิดแล้ว: หากต้องการความช่วยเหลือเพิ่มเติม กรุณาแจ้งเรื่องใหม่",
  "Waiting for us": "รอเจ้าหน้าที่ตอบ",
  "Waiting for your reply": "รอคุณตอบกลับ",
  "We answered: read the reply and tell us if you need more help.": "เราตอบแล้ว: อ่านคำตอบ และแจ้งเราหากต้องการความช่วยเหลือเพิ่มเติม",
  "Resolved": "แก้ไขแล้ว",
  "Closed": "ปิดแล้ว",
  "We answer by": "เราจะตอบภายใน",
  "We acknowledge your complaint by": "เราจะแจ้งรับเรื่องร้องเรียนภายใน",
  "We tell you the outcome by": "เราจะแจ้งผลให้คุณทราบภายใน",
  "We aim to resolve it by": "เราตั้งใจแก้ไขให้เสร็จภายใน",
  "We are late: we answer as soon as we can.": "ขออภัยที่ล่าช้า: เราจะตอบโดยเร็วที่สุด",
  "We are late: we resolve it as soon as we can.": "ขออภัยที่ล่าช้า: เราจะแก้ไขให้เร็วที่สุด",
  "Account": "บัญชี",
  "Trading": "การซื้อขาย",
  "Identity verification (KYC)": "การยืนยันตัวตน (KYC)",
  "Other": "อื่น ๆ",
  "Complaint received": "ได้รับเรื่องร้องเรียนแล้ว",
  "Complaint acknowledged": "รับเรื่องร้องเรียนแล้ว",
  "Complaint under investigation": "กำลังตรวจสอบเรื่องร้องเรียน",
  "Complaint resolved": "เรื่องร้องเรียนได้รับการแก้ไขแล้ว",
  "Complaint rejected": "ไม่รับเรื่องร้องเรียน",
  "Ticket opened": "เปิดเรื่อง",
  "Status changed": "เปลี่ยนสถานะ",
  "Escalated": "ส่งเรื่องต่อผู้ดูแล",
  "Priority changed": "เปลี่ยนลำดับความสำคัญ",
  "Assigned": "มอบหมายเจ้าหน้าที่",
  "Linked to an incident": "เชื่อมโยงกับเหตุขัดข้อง",
  "Reopened": "เปิดเรื่องอีกครั้ง",
  "You": "คุณ",
  "Support team": "ทีมช่วยเหลือ",
};

let lang: Lang = (localStorage.getItem("talat.lang") as Lang) || (navigator.language.startsWith("th") ? "th" : "en");
document.documentElement.lang = lang;

export const getLang = () => lang;
export function setLang(l: Lang): void {
  lang = l;
  localStorage.setItem("talat.lang", l);
  document.documentElement.lang = l;
}

export function t(en: string): string {
  return lang === "th" ? (TH[en] ?? en) : en;
}

/** An exact decimal string grouped by thousands ("1234567.5" → "1,234,567.5"), optionally padded to `minFrac`. */
export function num(s: string | number | undefined | null, minFrac = 0): string {
  if (s === undefined || s === null || s === "") return "—";
  let str = typeof s === "number" ? String(s) : s;
  const neg = str.startsWith("-");
  if (neg) str = str.slice(1);
  let [int, frac = ""] = str.split(".");
  frac = frac.padEnd(minFrac, "0");
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return (neg ? "-" : "") + grouped + (frac ? "." + frac : "");
}

function locale(): string {
  return lang === "th" ? "th-TH-u-ca-buddhist" : "en-GB";
}

export function dateTime(ms: number): string {
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "medium" }).format(new Date(ms));
}

export function time(ms: number): string {
  return new Intl.DateTimeFormat(locale(), { timeStyle: "medium" }).format(new Date(ms));
}

/** A percentage, via Intl (floats are fine: display only). */
export function pct(x: string | number): string {
  const v = Number(x);
  return (v > 0 ? "+" : "") + new Intl.NumberFormat(lang === "th" ? "th-TH" : "en-GB", { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(v) + "%";
}
