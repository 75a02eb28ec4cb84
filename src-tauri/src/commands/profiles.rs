//! Profiles: several students on one laptop, each with a separate library.

use lm_core::store::Profile;
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use crate::error::CommandResult;
use crate::state::ShellState;

/// A profile as the profile menu lists it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProfileSummary {
    /// The profile's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// When it was created (Unix ms).
    #[ts(type = "number")]
    pub created_at: i64,
    /// Whether the window works on it now.
    pub active: bool,
}

fn summary(profile: &Profile, active: bool) -> ProfileSummary {
    ProfileSummary {
        id: profile.id.to_string(),
        name: profile.name.clone(),
        created_at: profile.created_at,
        active,
    }
}

/// Every profile on this device, oldest first; none on the first start, where the onboarding
/// asks for the student's name and calls [`create_profile`].
#[tauri::command]
pub fn list_profiles(state: State<'_, ShellState>) -> CommandResult<Vec<ProfileSummary>> {
    let profiles = state.root().profiles()?;
    if profiles.is_empty() {
        return Ok(Vec::new());
    }
    let active = state.with_library(|library| Ok(library.profile_id().clone()))?;
    Ok(profiles
        .iter()
        .map(|profile| summary(profile, profile.id == active))
        .collect())
}

/// Creates a profile named `name` and makes it the active one.
#[tauri::command]
pub fn create_profile(state: State<'_, ShellState>, name: String) -> CommandResult<ProfileSummary> {
    let library = state.root().create_profile(&name)?;
    let created = summary(library.profile(), true);
    state.switch_to(library)?;
    Ok(created)
}

/// Makes profile `profile_id` the active one: its job runner starts, the previous one's stops.
#[tauri::command]
pub fn switch_profile(
    state: State<'_, ShellState>,
    profile_id: String,
) -> CommandResult<ProfileSummary> {
    let library = state.root().open(&profile_id)?;
    let switched = summary(library.profile(), true);
    state.switch_to(library)?;
    Ok(switched)
}
