//! Documents (PDF, DOCX, Markdown, text, images) of a class and the text of their pages.

use std::path::PathBuf;

use rusqlite::{OptionalExtension, Row, Transaction, TransactionBehavior, params};

use super::chunks::insert_chunks;
use super::{
    ClassId, NewChunk, SourceLocator, Store, StoreError, UnixMillis, new_id, non_empty, now_ms,
    path_text, tombstone_live,
};

id_type!(
    /// The id of a [`Document`].
    DocumentId
);

text_enum!(
    /// The format of a document, which decides how its text is extracted.
    DocumentKind {
        /// PDF.
        Pdf => "pdf",
        /// Word document.
        Docx => "docx",
        /// Markdown.
        Markdown => "markdown",
        /// Plain text.
        Text => "text",
        /// A picture of text, read by OCR.
        Image => "image",
    }
);

/// A document of a class.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Document {
    /// Stable global id.
    pub id: DocumentId,
    /// The class it belongs to.
    pub class_id: ClassId,
    /// Display title.
    pub title: String,
    /// The stored file, relative to the profile folder.
    pub file_path: PathBuf,
    /// Content hash of the file (hex).
    pub content_hash: String,
    /// The format.
    pub kind: DocumentKind,
    /// The MIME type ("application/pdf").
    pub mime: String,
    /// Number of pages, once the text has been extracted.
    pub page_count: Option<u32>,
    /// When the document was added.
    pub created_at: UnixMillis,
    /// When it last changed.
    pub updated_at: UnixMillis,
}

/// What [`Documents::create`] needs.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDocument {
    /// The class it belongs to.
    pub class_id: ClassId,
    /// Display title (trimmed, not empty).
    pub title: String,
    /// The stored file, relative to the profile folder.
    pub file_path: PathBuf,
    /// Content hash of the file (hex).
    pub content_hash: String,
    /// The format.
    pub kind: DocumentKind,
    /// The MIME type.
    pub mime: String,
}

/// The extracted text of one page. Formats without pages (Markdown, text) are one page.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DocumentPage {
    /// 1-based page number, as a citation shows it.
    pub number: u32,
    /// The page's text.
    pub text: String,
}

const COLUMNS: &str = "id, class_id, title, file_path, content_hash, kind, mime, page_count, \
                       created_at, updated_at";

impl Document {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get("id")?,
            class_id: row.get("class_id")?,
            title: row.get("title")?,
            file_path: PathBuf::from(row.get::<_, String>("file_path")?),
            content_hash: row.get("content_hash")?,
            kind: row.get("kind")?,
            mime: row.get("mime")?,
            page_count: row.get("page_count")?,
            created_at: row.get("created_at")?,
            updated_at: row.get("updated_at")?,
        })
    }
}

/// The document repository, borrowed from [`Store::documents`].
pub struct Documents<'s> {
    store: &'s Store,
}

impl<'s> Documents<'s> {
    pub(super) fn new(store: &'s Store) -> Self {
        Self { store }
    }

    /// Adds a document; its pages come later with [`Documents::replace_pages`].
    pub fn create(&self, new: &NewDocument) -> Result<Document, StoreError> {
        self.begin_create(new)?.commit()
    }

    /// Starts adding a document together with its pages and chunks in one transaction: nothing
    /// is visible to other connections before [`DocumentWriter::commit`], and a writer dropped
    /// without committing (after an error) leaves nothing behind.
    ///
    /// The transaction holds the database's write lock until then, so prepare the pages first
    /// and write them in one go.
    pub fn begin_create(&self, new: &NewDocument) -> Result<DocumentWriter<'s>, StoreError> {
        const OPERATION: &str = "create a document";
        let now = now_ms();
        let file_path = path_text("document path", &new.file_path)?.to_owned();
        let document = Document {
            id: DocumentId::generate(),
            class_id: new.class_id.clone(),
            title: non_empty("document title", &new.title)?.to_owned(),
            file_path: new.file_path.clone(),
            content_hash: non_empty("content hash", &new.content_hash)?.to_owned(),
            kind: new.kind,
            mime: new.mime.clone(),
            page_count: None,
            created_at: now,
            updated_at: now,
        };
        let db = |source| StoreError::Db {
            operation: OPERATION,
            source,
        };
        // `new_unchecked` only means nesting is checked at run time: the store never nests.
        let tx = Transaction::new_unchecked(&self.store.conn, TransactionBehavior::Immediate)
            .map_err(db)?;
        tx.execute(
            "INSERT INTO documents (id, class_id, title, file_path, content_hash, kind, mime,
                                    created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
            params![
                document.id,
                document.class_id,
                document.title,
                file_path,
                document.content_hash,
                document.kind,
                document.mime,
                now
            ],
        )
        .map_err(db)?;
        Ok(DocumentWriter {
            tx,
            document,
            page_count: 0,
            now,
        })
    }

    /// The live document of a class with this content hash (the same file imported before).
    pub fn find_by_content_hash(
        &self,
        class_id: &ClassId,
        content_hash: &str,
    ) -> Result<Option<Document>, StoreError> {
        self.store.read("find a document by its content", |conn| {
            conn.query_row(
                &format!(
                    "SELECT {COLUMNS} FROM documents
                     WHERE class_id = ?1 AND content_hash = ?2 AND deleted_at IS NULL
                     ORDER BY created_at, id LIMIT 1"
                ),
                params![class_id, content_hash],
                Document::from_row,
            )
            .optional()
        })
    }

    /// One live document.
    pub fn get(&self, id: &DocumentId) -> Result<Document, StoreError> {
        self.store
            .read("read a document", |conn| {
                conn.query_row(
                    &format!(
                        "SELECT {COLUMNS} FROM documents WHERE id = ?1 AND deleted_at IS NULL"
                    ),
                    [id],
                    Document::from_row,
                )
                .optional()
            })?
            .ok_or_else(|| StoreError::NotFound {
                entity: "document",
                id: id.to_string(),
            })
    }

    /// The live documents of a class, oldest first.
    pub fn list_by_class(&self, class_id: &ClassId) -> Result<Vec<Document>, StoreError> {
        self.store.read("list documents", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM documents WHERE class_id = ?1 AND deleted_at IS NULL
                 ORDER BY created_at, id"
            ))?
            .query_map([class_id], Document::from_row)?
            .collect()
        })
    }

    /// Replaces the extracted pages of a document, all or nothing, and sets its page count to
    /// the number of pages given (extraction passes blank pages as empty text, so numbering
    /// matches the file). Old pages become tombstones for sync.
    pub fn replace_pages(&self, id: &DocumentId, pages: &[DocumentPage]) -> Result<(), StoreError> {
        let page_count = u32::try_from(pages.len()).map_err(|_| StoreError::Invalid {
            field: "pages",
            problem: format!("{} pages is too many", pages.len()),
        })?;
        let changed = self.store.write("replace a document's pages", |tx| {
            let now = now_ms();
            let changed = tx.execute(
                "UPDATE documents SET page_count = ?2, updated_at = ?3
                 WHERE id = ?1 AND deleted_at IS NULL",
                params![id, page_count, now],
            )?;
            if changed == 0 {
                return Ok(0);
            }
            tombstone_live(tx, "document_pages", "document_id", id, now)?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO document_pages (id, document_id, page_number, text, created_at,
                                             updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            )?;
            for page in pages {
                insert.execute(params![new_id(), id, page.number, page.text, now])?;
            }
            Ok(changed)
        });
        match changed? {
            0 => Err(StoreError::NotFound {
                entity: "document",
                id: id.to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// Deletes a document: the document and its pages become tombstones (synced, so other
    /// devices delete them too) and its chunks and their embeddings, which are derived and
    /// local, are deleted for real, all in one transaction. The file stays in the content store
    /// (another document may share it). The search index drops the chunks on its next sync.
    pub fn delete(&self, id: &DocumentId) -> Result<(), StoreError> {
        let changed = self.store.write("delete a document", |tx| {
            let now = now_ms();
            let changed = tombstone_live(tx, "documents", "id", id, now)?;
            if changed > 0 {
                tombstone_live(tx, "document_pages", "document_id", id, now)?;
                tx.execute("DELETE FROM chunks WHERE document_id = ?1", [id])?;
            }
            Ok(changed)
        })?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                entity: "document",
                id: id.to_string(),
            });
        }
        Ok(())
    }

    /// The live pages of a document, by page number.
    pub fn pages(&self, id: &DocumentId) -> Result<Vec<DocumentPage>, StoreError> {
        self.store.read("list a document's pages", |conn| {
            conn.prepare_cached(
                "SELECT page_number, text FROM document_pages
                 WHERE document_id = ?1 AND deleted_at IS NULL ORDER BY page_number",
            )?
            .query_map([id], |row| {
                Ok(DocumentPage {
                    number: row.get(0)?,
                    text: row.get(1)?,
                })
            })?
            .collect()
        })
    }
}

/// A document being added with its pages and chunks, from [`Documents::begin_create`].
pub struct DocumentWriter<'s> {
    tx: Transaction<'s>,
    document: Document,
    page_count: u32,
    now: UnixMillis,
}

impl DocumentWriter<'_> {
    /// The document being added (its id is final).
    pub fn document(&self) -> &Document {
        &self.document
    }

    /// Adds one page and the chunks made from it (each located on this page), in page order.
    pub fn add_page(&mut self, page: &DocumentPage, chunks: Vec<String>) -> Result<(), StoreError> {
        let write = || {
            self.tx
                .prepare_cached(
                    "INSERT INTO document_pages (id, document_id, page_number, text, created_at,
                                                 updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                )?
                .execute(params![
                    new_id(),
                    self.document.id,
                    page.number,
                    page.text,
                    self.now
                ])?;
            let chunks: Vec<NewChunk> = chunks
                .into_iter()
                .map(|text| NewChunk {
                    locator: SourceLocator::DocumentPage {
                        document_id: self.document.id.clone(),
                        page: page.number,
                    },
                    text,
                })
                .collect();
            insert_chunks(&self.tx, &chunks, self.now)
        };
        write().map_err(|source| StoreError::Db {
            operation: "store a document page",
            source,
        })?;
        self.page_count += 1;
        Ok(())
    }

    /// Sets the page count to the pages added (when there are any) and commits everything.
    pub fn commit(mut self) -> Result<Document, StoreError> {
        let commit = |tx: Transaction<'_>, document: &Document, pages: u32| {
            if pages > 0 {
                tx.execute(
                    "UPDATE documents SET page_count = ?2 WHERE id = ?1",
                    params![document.id, pages],
                )?;
            }
            tx.commit()
        };
        commit(self.tx, &self.document, self.page_count).map_err(|source| StoreError::Db {
            operation: "create a document",
            source,
        })?;
        if self.page_count > 0 {
            self.document.page_count = Some(self.page_count);
        }
        Ok(self.document)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
pub(crate) mod tests {
    use super::*;
    use crate::store::test_support::{count_rows, temp_store};

    /// A store with one profile, one class and one (page-less) PDF in it.
    pub(crate) fn store_with_document() -> (tempfile::TempDir, Store, Document) {
        let (dir, store) = temp_store();
        let profile = store.profiles().create("Ada").unwrap();
        let class = store.classes().create(&profile.id, "Biology").unwrap();
        let document = store
            .documents()
            .create(&NewDocument {
                class_id: class.id,
                title: "Syllabus".into(),
                file_path: "media/12/1234.pdf".into(),
                content_hash: "1234".into(),
                kind: DocumentKind::Pdf,
                mime: "application/pdf".into(),
            })
            .unwrap();
        (dir, store, document)
    }

    fn page(number: u32, text: &str) -> DocumentPage {
        DocumentPage {
            number,
            text: text.into(),
        }
    }

    #[test]
    fn create_get_list() {
        let (_dir, store, document) = store_with_document();
        assert_eq!(document.page_count, None);
        assert_eq!(store.documents().get(&document.id).unwrap(), document);
        assert_eq!(
            store.documents().list_by_class(&document.class_id).unwrap(),
            vec![document]
        );
    }

    #[test]
    fn pages_are_stored_in_order_and_counted() {
        let (_dir, store, document) = store_with_document();
        store
            .documents()
            .replace_pages(
                &document.id,
                &[page(2, "Week two"), page(1, "Week one"), page(3, "")],
            )
            .unwrap();
        assert_eq!(
            store.documents().pages(&document.id).unwrap(),
            vec![page(1, "Week one"), page(2, "Week two"), page(3, "")]
        );
        assert_eq!(
            store.documents().get(&document.id).unwrap().page_count,
            Some(3)
        );

        store
            .documents()
            .replace_pages(&document.id, &[page(1, "Only page")])
            .unwrap();
        assert_eq!(
            store.documents().pages(&document.id).unwrap(),
            vec![page(1, "Only page")]
        );
        assert_eq!(
            store.documents().get(&document.id).unwrap().page_count,
            Some(1)
        );
        assert_eq!(
            count_rows(&store, "document_pages"),
            4,
            "three tombstones + one live"
        );
    }

    #[test]
    fn a_duplicate_page_rolls_back_the_whole_replacement() {
        let (_dir, store, document) = store_with_document();
        store
            .documents()
            .replace_pages(&document.id, &[page(1, "old")])
            .unwrap();
        let err = store
            .documents()
            .replace_pages(
                &document.id,
                &[page(1, "a"), page(2, "b"), page(2, "again")],
            )
            .unwrap_err();
        assert!(matches!(err, StoreError::Db { .. }), "{err:?}");
        assert_eq!(
            store.documents().pages(&document.id).unwrap(),
            vec![page(1, "old")]
        );
        assert_eq!(
            store.documents().get(&document.id).unwrap().page_count,
            Some(1)
        );
        assert_eq!(count_rows(&store, "document_pages"), 1);
    }

    #[test]
    fn pages_of_an_unknown_document_are_not_found() {
        let (_dir, store, _) = store_with_document();
        let ghost = DocumentId::from("ghost".to_string());
        let err = store
            .documents()
            .replace_pages(&ghost, &[page(1, "x")])
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::NotFound {
                    entity: "document",
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
