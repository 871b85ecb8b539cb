// The console's page registry. Adding a page: write `render(view)` in its own file and add one
// entry here; the nav shows it only when /web/api/console/me lists its id in `pages`.
import type { Render } from "../lib/router";
import { dashboardPage } from "./dashboard";
import { marketsPage, usersPage, auditPage } from "./pages";
import { securityPage } from "./security";
import { staffPage } from "./staff";
import { supportPage, incidentsPage, mailPage } from "./support";
import { staffingPage, reportsPage } from "./support-reports";
import { kycPage, screeningPage, admissionPage } from "./kyc";
import { fundsPage } from "./funds";
import { alertsPage, casesPage, tapeAuditPage, breakerPage } from "./surveillance";
import { statusAdminPage, resumePage } from "./continuity";
import { compensationPage } from "./compensation";
import { porPage } from "./por";
import { custodyPage } from "./custody";

export interface ConsolePage {
  id: string; // as the server names it in `pages`
  title: string;
  render: Render;
}

export const PAGES: ConsolePage[] = [
  { id: "dashboard", title: "Dashboard", render: dashboardPage },
  { id: "markets", title: "Markets", render: marketsPage },
  { id: "users", title: "Users", render: usersPage }, // search (web and API-only accounts) and one customer's picture (#/users/<user id>)
  { id: "support", title: "Support", render: supportPage }, // the ticket queue and one ticket (#/support/<id>)
  { id: "incidents", title: "Incidents", render: incidentsPage },
  { id: "staffing", title: "Staffing", render: staffingPage },
  { id: "reports", title: "Reports", render: reportsPage }, // complaints (printable, CSV) and SLA attainment
  { id: "mail", title: "Mail", render: mailPage }, // the outbox
  { id: "kyc", title: "KYC", render: kycPage }, // the review queue and one application (#/kyc/<id>)
  { id: "screening", title: "Screening", render: screeningPage }, // sanctions hits and lists
  { id: "admission", title: "Admission", render: admissionPage }, // the capacity model, limits and waitlist
  { id: "funds", title: "Funds", render: fundsPage }, // THB: withdrawals, bank accounts, payouts, statements, exceptions, reconciliation (#/funds/<tab>)
  { id: "custody", title: "Crypto custody", render: custodyPage }, // wallets, crypto withdrawals to approve, reorg cases, rescan, the demo faucet
  { id: "alerts", title: "Alerts", render: alertsPage }, // surveillance alerts and one alert with its evidence (#/alerts/<id>)
  { id: "cases", title: "Cases", render: casesPage }, // surveillance cases and one case with its actions and AMLO report (#/cases/<id>)
  { id: "tape-audit", title: "Tape audit", render: tapeAuditPage }, // daily Benford and round-size audit per market
  { id: "breaker", title: "Circuit breaker", render: breakerPage }, // the breaker's halts and resumptions
  { id: "status-page", title: "Status page", render: statusAdminPage }, // components, overrides, incidents and maintenance on /status
  { id: "resume", title: "Resume", render: resumePage }, // the runbook after an outage, one confirmed step at a time
  { id: "compensation", title: "Compensation", render: compensationPage }, // outage incidents, their preview and evidence, four-eyes approval (#/compensation/<id>)
  { id: "por", title: "Proof of reserves", render: porPage }, // published reports; Publish now for finance and admins
  { id: "audit", title: "Audit log", render: auditPage },
  { id: "staff", title: "Staff", render: staffPage }, // admins: the staff list, invite, role change and disable (four eyes), 2FA reset
  { id: "security", title: "Security", render: securityPage }, // every role; the only page until required 2FA is on
];
