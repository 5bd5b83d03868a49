//! The system profile: what fills the POA&M workbook's banner and metadata rows 2-6.
//!
//! eMASS's templates carry the system's name, registration, POC and classification above
//! the header row. SAF CLI prompts for them; stigpack reads them from a file instead
//! (`--system-profile FILE`, TOML on the command line), so an export is repeatable. The
//! host parses the TOML into this struct (an unknown key is an error naming it) and hands
//! the component the normalised JSON (`/input/profile/system_profile.json`), which is
//! also the copy kept in the package so `reproduce` uses the same values.

use serde::{Deserialize, Serialize};

/// Every key of a profile, all optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dod_it_registration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ccsafa: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub omb_project_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poc_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poc_phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poc_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office_org: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources_required: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_costs: Option<String>,
    /// The banner in A1; `UNCLASSIFIED` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<String>,
}

/// The package-relative path of the kept profile, and the `emass` component's input.
pub const PROFILE_FILE: &str = "03_POAM/profile/system_profile.json";
pub const PROFILE_DIR: &str = "03_POAM/profile";
pub const PROFILE_INPUT: &str = "profile/system_profile.json";

impl SystemProfile {
    /// The value of a metadata field (a key of the profile), empty when absent.
    pub fn get(&self, key: &str) -> &str {
        let v = match key {
            "system_name" => &self.system_name,
            "dod_it_registration" => &self.dod_it_registration,
            "ccsafa" => &self.ccsafa,
            "system_type" => &self.system_type,
            "omb_project_id" => &self.omb_project_id,
            "poc_name" => &self.poc_name,
            "poc_phone" => &self.poc_phone,
            "poc_email" => &self.poc_email,
            "office_org" => &self.office_org,
            "resources_required" => &self.resources_required,
            "security_costs" => &self.security_costs,
            "classification" => &self.classification,
            _ => &None,
        };
        v.as_deref().unwrap_or("")
    }

    pub fn classification(&self) -> &str {
        match self.classification.as_deref() {
            Some(c) if !c.trim().is_empty() => c,
            _ => "UNCLASSIFIED",
        }
    }

    /// The normalised form kept in the package: sorted keys, absent keys left out.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    pub fn from_json(bytes: &[u8]) -> Result<SystemProfile, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}
