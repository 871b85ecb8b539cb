//! The JSON Atlassian Statuspage serves at `/api/v2/*.json`, field for field, so status widgets
//! and monitors written for it read talat's page unchanged. Times are ISO-8601 with the Bangkok
//! offset; ids are strings.

use crate::component::Component;
use crate::incident::Incident;
use crate::page::PageStatus;
use serde_json::{json, Value};
use talat_core::calendar::bangkok_iso_datetime;

/// Incidents `incidents.json` lists, newest first (Statuspage lists the last 50).
pub const INCIDENTS_LISTED: usize = 50;

/// Who the page is: its name and public address.
#[derive(Clone, Debug)]
pub struct PageInfo {
    pub name: String,
    pub url: String,
    pub updated_ms: u64,
}

const PAGE_ID: &str = "talat";

fn iso(ms: u64) -> String {
    bangkok_iso_datetime(ms)
}

fn iso_opt(ms: Option<u64>) -> Value {
    ms.map_or(Value::Null, |m| Value::String(iso(m)))
}

pub fn page(info: &PageInfo) -> Value {
    json!({"id": PAGE_ID, "name": info.name, "url": info.url, "time_zone": "Asia/Bangkok", "updated_at": iso(info.updated_ms)})
}

pub fn component(c: &Component, position: usize, now_ms: u64) -> Value {
    json!({
        "id": c.id,
        "name": c.name_en,
        "status": c.status.name(),
        "created_at": iso(0),
        "updated_at": iso(now_ms),
        "position": position + 1,
        "description": if c.reason.is_empty() { Value::Null } else { Value::String(c.reason.clone()) },
        "showcase": true,
        "start_date": null,
        "group_id": null,
        "page_id": PAGE_ID,
        "group": false,
        "only_show_if_degraded": false,
    })
}

pub fn incident(i: &Incident, components: &[Component], now_ms: u64) -> Value {
    let affected: Vec<Value> = components.iter().enumerate().filter(|(_, c)| i.components.contains(&c.id)).map(|(p, c)| component(c, p, now_ms)).collect();
    let updates: Vec<Value> = i
        .updates
        .iter()
        .map(|u| {
            json!({
                "id": u.id.to_string(),
                "status": u.status,
                "body": u.body,
                "incident_id": i.id.to_string(),
                "created_at": iso(u.created_ms),
                "updated_at": iso(u.created_ms),
                "display_at": iso(u.created_ms),
                "affected_components": null,
                "deliver_notifications": true,
                "custom_tweet": null,
                "tweet_id": null,
            })
        })
        .collect();
    let monitoring_at = i.updates.iter().filter(|u| u.status == "monitoring").map(|u| u.created_ms).min();
    let mut v = json!({
        "id": i.id.to_string(),
        "name": i.name,
        "status": i.status,
        "created_at": iso(i.created_ms),
        "updated_at": iso(i.updated_ms),
        "monitoring_at": iso_opt(monitoring_at),
        "resolved_at": iso_opt(i.resolved_ms),
        "impact": i.impact.name(),
        "shortlink": format!("/status#incident-{}", i.id),
        "started_at": iso(i.created_ms),
        "page_id": PAGE_ID,
        "incident_updates": updates,
        "components": affected,
    });
    if i.kind == crate::IncidentKind::Maintenance {
        v["scheduled_for"] = iso_opt(i.scheduled_for_ms);
        v["scheduled_until"] = iso_opt(i.scheduled_until_ms);
    }
    v
}

fn incidents_of(incidents: &[Incident], components: &[Component], now_ms: u64, kind: crate::IncidentKind, open_only: bool) -> Vec<Value> {
    incidents.iter().filter(|i| i.kind == kind && (!open_only || i.is_open())).map(|i| incident(i, components, now_ms)).collect()
}

/// `/api/v2/summary.json`: the page, every component, open incidents, upcoming and current
/// maintenance, and the page status.
pub fn summary(info: &PageInfo, components: &[Component], incidents: &[Incident], status: &PageStatus) -> Value {
    let now = info.updated_ms;
    json!({
        "page": page(info),
        "components": components.iter().enumerate().map(|(p, c)| component(c, p, now)).collect::<Vec<_>>(),
        "incidents": incidents_of(incidents, components, now, crate::IncidentKind::Incident, true),
        "scheduled_maintenances": incidents_of(incidents, components, now, crate::IncidentKind::Maintenance, true),
        "status": status,
    })
}

/// `/api/v2/status.json`.
pub fn status(info: &PageInfo, status: &PageStatus) -> Value {
    json!({"page": page(info), "status": status})
}

/// `/api/v2/incidents.json`: the newest incidents, open or resolved.
pub fn incidents(info: &PageInfo, components: &[Component], incidents: &[Incident]) -> Value {
    let list: Vec<Value> =
        incidents.iter().filter(|i| i.kind == crate::IncidentKind::Incident).take(INCIDENTS_LISTED).map(|i| incident(i, components, info.updated_ms)).collect();
    json!({"page": page(info), "incidents": list})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::{measure, Signals};
    use crate::incident::{Impact, IncidentKind, IncidentUpdate};
    use crate::page::page_status;

    fn keys(v: &Value) -> Vec<&str> {
        let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        k.sort();
        k
    }

    /// The fields Statuspage documents for each object, so a monitor's parser finds them all.
    #[test]
    fn the_shapes_carry_statuspage_fields() {
        let s = Signals { now_ms: 1_800_000_000_000, markets: vec![("BTC_THB".into(), "halted")], ..Signals::default() };
        let components = measure(&s, &[]);
        let incident = Incident {
            id: 7,
            kind: IncidentKind::Incident,
            name: "Trading halted".into(),
            status: "identified".into(),
            impact: Impact::Major,
            components: vec!["trading-btc_thb".into()],
            created_ms: 1_799_999_000_000,
            updated_ms: 1_799_999_500_000,
            resolved_ms: None,
            scheduled_for_ms: None,
            scheduled_until_ms: None,
            support_incident: None,
            updates: vec![IncidentUpdate { id: 1, status: "identified".into(), body: "We halted BTC_THB.".into(), created_ms: 1_799_999_500_000 }],
        };
        let info = PageInfo { name: "talat".into(), url: "http://127.0.0.1".into(), updated_ms: s.now_ms };
        let status = page_status(&components, std::slice::from_ref(&incident));
        let v = summary(&info, &components, std::slice::from_ref(&incident), &status);
        assert_eq!(keys(&v), ["components", "incidents", "page", "scheduled_maintenances", "status"]);
        assert_eq!(keys(&v["page"]), ["id", "name", "time_zone", "updated_at", "url"]);
        assert_eq!(keys(&v["status"]), ["description", "indicator"]);
        assert_eq!(v["status"]["indicator"], "critical");
        assert_eq!(
            keys(&v["components"][0]),
            [
                "created_at",
                "description",
                "group",
                "group_id",
                "id",
                "name",
                "only_show_if_degraded",
                "page_id",
                "position",
                "showcase",
                "start_date",
                "status",
                "updated_at"
            ]
        );
        assert_eq!(v["components"][0]["status"], "major_outage");
        let i = &v["incidents"][0];
        assert_eq!(
            keys(i),
            [
                "components",
                "created_at",
                "id",
                "impact",
                "incident_updates",
                "monitoring_at",
                "name",
                "page_id",
                "resolved_at",
                "shortlink",
                "started_at",
                "status",
                "updated_at"
            ]
        );
        assert_eq!(i["components"][0]["id"], "trading-btc_thb");
        assert_eq!(
            keys(&i["incident_updates"][0]),
            [
                "affected_components",
                "body",
                "created_at",
                "custom_tweet",
                "deliver_notifications",
                "display_at",
                "id",
                "incident_id",
                "status",
                "tweet_id",
                "updated_at"
            ]
        );
        assert_eq!(keys(&status_json(&info, &status)), ["page", "status"]);
        assert_eq!(incidents(&info, &components, &[incident])["incidents"].as_array().unwrap().len(), 1);
    }

    fn status_json(info: &PageInfo, s: &PageStatus) -> Value {
        status(info, s)
    }
}
