//! The page's one-line status: Statuspage's indicator and description, from the worst
//! component and the worst open incident.

use crate::component::{Component, ComponentStatus};
use crate::incident::{Impact, Incident, IncidentKind};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    None,
    Minor,
    Major,
    Critical,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PageStatus {
    pub indicator: Indicator,
    pub description: &'static str,
}

impl PageStatus {
    pub fn description_th(&self) -> &'static str {
        match self.description {
            "All Systems Operational" => "ทุกระบบทำงานปกติ",
            "Service Under Maintenance" => "อยู่ระหว่างปรับปรุงระบบ",
            "Minor Service Outage" => "ระบบขัดข้องเล็กน้อย",
            "Partial System Outage" => "ระบบขัดข้องบางส่วน",
            _ => "ระบบขัดข้องครั้งใหญ่",
        }
    }
}

pub fn page_status(components: &[Component], incidents: &[Incident]) -> PageStatus {
    let worst = components.iter().map(|c| c.status).max().unwrap_or(ComponentStatus::Operational);
    let from_components = match worst {
        ComponentStatus::Operational | ComponentStatus::UnderMaintenance => Indicator::None,
        ComponentStatus::DegradedPerformance => Indicator::Minor,
        ComponentStatus::PartialOutage => Indicator::Major,
        ComponentStatus::MajorOutage => Indicator::Critical,
    };
    let from_incidents = incidents
        .iter()
        .filter(|i| i.is_open() && i.kind == IncidentKind::Incident)
        .map(|i| match i.impact {
            Impact::None => Indicator::None,
            Impact::Minor => Indicator::Minor,
            Impact::Major => Indicator::Major,
            Impact::Critical => Indicator::Critical,
        })
        .max()
        .unwrap_or(Indicator::None);
    let indicator = from_components.max(from_incidents);
    let description = match indicator {
        Indicator::None if worst == ComponentStatus::UnderMaintenance => "Service Under Maintenance",
        Indicator::None => "All Systems Operational",
        Indicator::Minor => "Minor Service Outage",
        Indicator::Major => "Partial System Outage",
        Indicator::Critical => "Major System Outage",
    };
    PageStatus { indicator, description }
}
