//! Classes: the courses a profile studies; lectures, documents, notes and cards belong to one.

use rusqlite::{OptionalExtension, Row, params};

use super::{ProfileId, Store, StoreError, UnixMillis, non_empty, now_ms};

id_type!(
    /// The id of a [`Class`].
    ClassId
);

/// A class (course) of a profile.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Class {
    /// Stable global id.
    pub id: ClassId,
    /// The profile that owns it.
    pub profile_id: ProfileId,
    /// Display name ("Biology 101").
    pub name: String,
    /// When the class was created.
    pub created_at: UnixMillis,
    /// When it last changed.
    pub updated_at: UnixMillis,
}

const COLUMNS: &str = "id, profile_id, name, created_at, updated_at";

impl Class {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get("id")?,
            profile_id: row.get("profile_id")?,
            name: row.get("name")?,
            created_at: row.get("created_at")?,
            updated_at: row.get("updated_at")?,
        })
    }
}

/// The class repository, borrowed from [`Store::classes`].
pub struct Classes<'s> {
    store: &'s Store,
}

impl<'s> Classes<'s> {
    pub(super) fn new(store: &'s Store) -> Self {
        Self { store }
    }

    /// Creates a class named `name` (trimmed, not empty) in `profile_id`.
    pub fn create(&self, profile_id: &ProfileId, name: &str) -> Result<Class, StoreError> {
        let now = now_ms();
        let class = Class {
            id: ClassId::generate(),
            profile_id: profile_id.clone(),
            name: non_empty("class name", name)?.to_owned(),
            created_at: now,
            updated_at: now,
        };
        self.store.write("create a class", |tx| {
            tx.execute(
                "INSERT INTO classes (id, profile_id, name, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![class.id, class.profile_id, class.name, now, now],
            )
        })?;
        Ok(class)
    }

    /// One live class.
    pub fn get(&self, id: &ClassId) -> Result<Class, StoreError> {
        self.store
            .read("read a class", |conn| {
                conn.query_row(
                    &format!("SELECT {COLUMNS} FROM classes WHERE id = ?1 AND deleted_at IS NULL"),
                    [id],
                    Class::from_row,
                )
                .optional()
            })?
            .ok_or_else(|| not_found(id))
    }

    /// The live classes of a profile, by name (case-insensitive).
    pub fn list(&self, profile_id: &ProfileId) -> Result<Vec<Class>, StoreError> {
        self.store.read("list classes", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM classes WHERE profile_id = ?1 AND deleted_at IS NULL
                 ORDER BY name COLLATE NOCASE, id"
            ))?
            .query_map([profile_id], Class::from_row)?
            .collect()
        })
    }

    /// Renames a live class.
    pub fn rename(&self, id: &ClassId, name: &str) -> Result<(), StoreError> {
        let name = non_empty("class name", name)?;
        let changed = self.store.write("rename a class", |tx| {
            tx.execute(
                "UPDATE classes SET name = ?2, updated_at = ?3 WHERE id = ?1 AND deleted_at IS NULL",
                params![id, name, now_ms()],
            )
        })?;
        if changed == 0 {
            Err(not_found(id))
        } else {
            Ok(())
        }
    }

    /// Soft-deletes a class: it disappears from lists and lookups, and the tombstone is synced.
    /// Its lectures and documents stay in the database; the UI reaches them only through it.
    pub fn soft_delete(&self, id: &ClassId) -> Result<(), StoreError> {
        let changed = self.store.write("delete a class", |tx| {
            let now = now_ms();
            tx.execute(
                "UPDATE classes SET deleted_at = ?2, updated_at = ?2
                 WHERE id = ?1 AND deleted_at IS NULL",
                params![id, now],
            )
        })?;
        if changed == 0 {
            Err(not_found(id))
        } else {
            Ok(())
        }
    }
}

fn not_found(id: &ClassId) -> StoreError {
    StoreError::NotFound {
        entity: "class",
        id: id.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;
    use crate::store::test_support::{count_rows, row_change_seq, temp_store};

    fn store_with_profile() -> (tempfile::TempDir, Store, ProfileId) {
        let (dir, store) = temp_store();
        let profile = store.profiles().create("Ada").unwrap();
        (dir, store, profile.id)
    }

    #[test]
    fn list_is_per_profile_and_sorted_by_name() {
        let (_dir, store, ada) = store_with_profile();
        let ben = store.profiles().create("Ben").unwrap().id;
        let physics = store.classes().create(&ada, "physics").unwrap();
        let biology = store.classes().create(&ada, "Biology").unwrap();
        store.classes().create(&ben, "Chemistry").unwrap();
        assert_eq!(store.classes().list(&ada).unwrap(), vec![biology, physics]);
        assert_eq!(store.classes().list(&ben).unwrap().len(), 1);
    }

    #[test]
    fn a_class_needs_an_existing_profile() {
        let (_dir, store) = temp_store();
        let err = store
            .classes()
            .create(&ProfileId::from("ghost".to_string()), "X")
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Db {
                    operation: "create a class",
                    ..
                }
            ),
            "foreign key should refuse it: {err:?}"
        );
        assert_eq!(count_rows(&store, "classes"), 0);
    }

    #[test]
    fn rename_updates_the_row_and_bumps_the_change_counter() {
        let (_dir, store, ada) = store_with_profile();
        let class = store.classes().create(&ada, "Bio").unwrap();
        let seq_before = row_change_seq(&store, "classes", class.id.as_str());
        store.classes().rename(&class.id, " Biology ").unwrap();
        let renamed = store.classes().get(&class.id).unwrap();
        assert_eq!(renamed.name, "Biology");
        assert!(renamed.updated_at >= class.updated_at);
        let seq_after = row_change_seq(&store, "classes", class.id.as_str());
        assert!(seq_after > seq_before);
        assert_eq!(seq_after, store.change_seq().unwrap());
    }

    #[test]
    fn soft_delete_hides_the_class_keeps_a_tombstone_and_bumps_the_counter() {
        let (_dir, store, ada) = store_with_profile();
        let kept = store.classes().create(&ada, "Kept").unwrap();
        let gone = store.classes().create(&ada, "Gone").unwrap();
        let seq_before = row_change_seq(&store, "classes", gone.id.as_str());

        store.classes().soft_delete(&gone.id).unwrap();

        assert_eq!(store.classes().list(&ada).unwrap(), vec![kept]);
        assert!(matches!(
            store.classes().get(&gone.id),
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(
            count_rows(&store, "classes"),
            2,
            "the tombstone stays for sync"
        );
        assert!(row_change_seq(&store, "classes", gone.id.as_str()) > seq_before);
        // Deleting or renaming a tombstone is a "not found", not a silent success.
        assert!(matches!(
            store.classes().soft_delete(&gone.id),
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            store.classes().rename(&gone.id, "Back"),
            Err(StoreError::NotFound { .. })
        ));
    }
}
