//! Profiles: the people using Little Monster on this device.

use rusqlite::{OptionalExtension, Row, params};

use super::{Store, StoreError, UnixMillis, non_empty, now_ms};

id_type!(
    /// The id of a [`Profile`].
    ProfileId
);

/// A person using Little Monster; classes and settings belong to one.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Profile {
    /// Stable global id.
    pub id: ProfileId,
    /// Display name.
    pub name: String,
    /// When the profile was created.
    pub created_at: UnixMillis,
    /// When it last changed.
    pub updated_at: UnixMillis,
}

const COLUMNS: &str = "id, name, created_at, updated_at";

impl Profile {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get("id")?,
            name: row.get("name")?,
            created_at: row.get("created_at")?,
            updated_at: row.get("updated_at")?,
        })
    }
}

/// The profile repository, borrowed from [`Store::profiles`].
pub struct Profiles<'s> {
    store: &'s Store,
}

impl<'s> Profiles<'s> {
    pub(super) fn new(store: &'s Store) -> Self {
        Self { store }
    }

    /// Creates a profile named `name` (trimmed, not empty).
    pub fn create(&self, name: &str) -> Result<Profile, StoreError> {
        let now = now_ms();
        let profile = Profile {
            id: ProfileId::generate(),
            name: non_empty("profile name", name)?.to_owned(),
            created_at: now,
            updated_at: now,
        };
        self.store.write("create a profile", |tx| {
            tx.execute(
                "INSERT INTO profiles (id, name, created_at, updated_at) VALUES (?1, ?2, ?3, ?4)",
                params![profile.id, profile.name, now, now],
            )
        })?;
        Ok(profile)
    }

    /// The live profiles, oldest first.
    pub fn list(&self) -> Result<Vec<Profile>, StoreError> {
        self.store.read("list profiles", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM profiles WHERE deleted_at IS NULL ORDER BY created_at, id"
            ))?
            .query_map([], Profile::from_row)?
            .collect()
        })
    }

    /// One live profile.
    pub fn get(&self, id: &ProfileId) -> Result<Profile, StoreError> {
        self.store
            .read("read a profile", |conn| {
                conn.query_row(
                    &format!("SELECT {COLUMNS} FROM profiles WHERE id = ?1 AND deleted_at IS NULL"),
                    [id],
                    Profile::from_row,
                )
                .optional()
            })?
            .ok_or_else(|| StoreError::NotFound {
                entity: "profile",
                id: id.to_string(),
            })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;
    use crate::store::test_support::{row_change_seq, temp_store};

    #[test]
    fn create_then_list_and_get() {
        let (_dir, store) = temp_store();
        let ada = store.profiles().create("  Ada ").unwrap();
        let ben = store.profiles().create("Ben").unwrap();
        assert_eq!(ada.name, "Ada");
        assert_eq!(store.profiles().list().unwrap(), vec![ada.clone(), ben]);
        assert_eq!(store.profiles().get(&ada.id).unwrap(), ada);
        assert!(row_change_seq(&store, "profiles", ada.id.as_str()) > 0);
    }

    #[test]
    fn profiles_survive_reopening_the_file() {
        let (dir, store) = temp_store();
        let ada = store.profiles().create("Ada").unwrap();
        drop(store);
        let reopened = Store::open(dir.path().join("profile.db")).unwrap();
        assert_eq!(reopened.profiles().list().unwrap(), vec![ada]);
    }

    #[test]
    fn an_empty_name_is_refused_and_nothing_is_written() {
        let (_dir, store) = temp_store();
        let err = store.profiles().create("   ").unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Invalid {
                    field: "profile name",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(store.profiles().list().unwrap().is_empty());
    }

    #[test]
    fn an_unknown_profile_is_not_found() {
        let (_dir, store) = temp_store();
        let err = store
            .profiles()
            .get(&ProfileId::from("nope".to_string()))
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::NotFound {
                    entity: "profile",
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
