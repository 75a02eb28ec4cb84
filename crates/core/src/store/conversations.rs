//! Conversations with the study assistant and their messages, each answer keeping its citations.

use rusqlite::{OptionalExtension, Row, params};

use super::{
    ChunkId, ClassId, SourceLocator, Store, StoreError, UnixMillis, json_column, non_empty, now_ms,
    to_json, tombstone_live,
};
use crate::engines::ChatRole;

id_type!(
    /// The id of a [`Conversation`].
    ConversationId
);

id_type!(
    /// The id of a [`StoredMessage`].
    MessageId
);

/// A conversation, optionally about one class.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Conversation {
    /// Stable global id.
    pub id: ConversationId,
    /// The class whose material grounds the answers; `None` for all classes.
    pub class_id: Option<ClassId>,
    /// Display title (the first question, until the student renames it).
    pub title: String,
    /// When it was started.
    pub created_at: UnixMillis,
    /// When it last changed (a new message, a rename).
    pub updated_at: UnixMillis,
}

const CONVERSATION_COLUMNS: &str = "id, class_id, title, created_at, updated_at";

impl Conversation {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get("id")?,
            class_id: row.get("class_id")?,
            title: row.get("title")?,
            created_at: row.get("created_at")?,
            updated_at: row.get("updated_at")?,
        })
    }
}

/// A source an answer cites: marker `[n]` in the text points at this place.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Citation {
    /// The number used in the answer's `[n]` markers.
    pub marker: u32,
    /// The chunk that was cited (chunks are rebuilt on re-indexing, so the locator is what
    /// stays meaningful; the id helps while the chunk exists).
    pub chunk_id: ChunkId,
    /// The page or the moment to open.
    pub locator: SourceLocator,
    /// How the citation reads: `Cells @ 12:34` or `Biology notes p. 7`.
    pub label: String,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoredMessage {
    /// Stable global id.
    pub id: MessageId,
    /// The conversation it belongs to.
    pub conversation_id: ConversationId,
    /// Who said it.
    pub role: ChatRole,
    /// The text.
    pub content: String,
    /// The sources an answer cites (empty for questions).
    pub citations: Vec<Citation>,
    /// Prompt tokens the answer used, when it is an answer.
    pub prompt_tokens: Option<u32>,
    /// Generated tokens, when it is an answer.
    pub completion_tokens: Option<u32>,
    /// When it was said.
    pub created_at: UnixMillis,
}

/// A message to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    /// Who said it.
    pub role: ChatRole,
    /// The text.
    pub content: String,
    /// The sources it cites.
    pub citations: Vec<Citation>,
    /// Prompt tokens, for answers.
    pub prompt_tokens: Option<u32>,
    /// Generated tokens, for answers.
    pub completion_tokens: Option<u32>,
}

impl NewMessage {
    /// A message without citations or token counts (a question).
    pub fn plain(role: ChatRole, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
            citations: Vec::new(),
            prompt_tokens: None,
            completion_tokens: None,
        }
    }
}

fn role_text(role: ChatRole) -> &'static str {
    match role {
        ChatRole::System => "system",
        ChatRole::User => "user",
        ChatRole::Assistant => "assistant",
    }
}

fn role_from_text(text: &str) -> rusqlite::Result<ChatRole> {
    match text {
        "system" => Ok(ChatRole::System),
        "user" => Ok(ChatRole::User),
        "assistant" => Ok(ChatRole::Assistant),
        other => Err(rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown message role {other:?}").into(),
        )),
    }
}

impl StoredMessage {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        let role: String = row.get("role")?;
        Ok(Self {
            id: row.get("id")?,
            conversation_id: row.get("conversation_id")?,
            role: role_from_text(&role)?,
            content: row.get("content")?,
            citations: json_column::<Vec<Citation>>(row, "citations_json")?.unwrap_or_default(),
            prompt_tokens: row.get("prompt_tokens")?,
            completion_tokens: row.get("completion_tokens")?,
            created_at: row.get("created_at")?,
        })
    }
}

/// The conversation repository, borrowed from [`Store::conversations`].
pub struct Conversations<'s> {
    store: &'s Store,
}

impl<'s> Conversations<'s> {
    pub(super) fn new(store: &'s Store) -> Self {
        Self { store }
    }

    /// Starts a conversation titled `title` (trimmed, not empty).
    pub fn create(
        &self,
        class_id: Option<&ClassId>,
        title: &str,
    ) -> Result<Conversation, StoreError> {
        let now = now_ms();
        let conversation = Conversation {
            id: ConversationId::generate(),
            class_id: class_id.cloned(),
            title: non_empty("conversation title", title)?.to_owned(),
            created_at: now,
            updated_at: now,
        };
        self.store.write("start a conversation", |tx| {
            tx.execute(
                "INSERT INTO conversations (id, class_id, title, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)",
                params![
                    conversation.id,
                    conversation.class_id,
                    conversation.title,
                    now
                ],
            )
        })?;
        Ok(conversation)
    }

    /// One live conversation.
    pub fn get(&self, id: &ConversationId) -> Result<Conversation, StoreError> {
        self.store
            .read("read a conversation", |conn| {
                conn.query_row(
                    &format!(
                        "SELECT {CONVERSATION_COLUMNS} FROM conversations
                         WHERE id = ?1 AND deleted_at IS NULL"
                    ),
                    [id],
                    Conversation::from_row,
                )
                .optional()
            })?
            .ok_or_else(|| not_found(id))
    }

    /// Live conversations, most recently active first: those of `class_id`, or all of them.
    pub fn list(&self, class_id: Option<&ClassId>) -> Result<Vec<Conversation>, StoreError> {
        self.store.read("list conversations", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {CONVERSATION_COLUMNS} FROM conversations
                 WHERE deleted_at IS NULL AND (?1 IS NULL OR class_id = ?1)
                 ORDER BY updated_at DESC, id DESC"
            ))?
            .query_map([class_id], Conversation::from_row)?
            .collect()
        })
    }

    /// Live conversations whose title or any live message contains `text` (ignoring ASCII case),
    /// most recently active first.
    pub fn search(
        &self,
        text: &str,
        class_id: Option<&ClassId>,
    ) -> Result<Vec<Conversation>, StoreError> {
        let pattern = format!("%{}%", escape_like(non_empty("search text", text)?));
        self.store.read("search conversations", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {CONVERSATION_COLUMNS} FROM conversations c
                 WHERE c.deleted_at IS NULL AND (?2 IS NULL OR c.class_id = ?2)
                   AND (c.title LIKE ?1 ESCAPE '\\'
                        OR EXISTS (SELECT 1 FROM messages m
                                   WHERE m.conversation_id = c.id AND m.deleted_at IS NULL
                                     AND m.content LIKE ?1 ESCAPE '\\'))
                 ORDER BY c.updated_at DESC, c.id DESC"
            ))?
            .query_map(params![pattern, class_id], Conversation::from_row)?
            .collect()
        })
    }

    /// Renames a live conversation.
    pub fn rename(&self, id: &ConversationId, title: &str) -> Result<(), StoreError> {
        let title = non_empty("conversation title", title)?;
        let changed = self.store.write("rename a conversation", |tx| {
            tx.execute(
                "UPDATE conversations SET title = ?2, updated_at = ?3
                 WHERE id = ?1 AND deleted_at IS NULL",
                params![id, title, now_ms()],
            )
        })?;
        if changed == 0 {
            Err(not_found(id))
        } else {
            Ok(())
        }
    }

    /// Deletes a conversation and its messages (as tombstones, so sync peers delete them too).
    pub fn delete(&self, id: &ConversationId) -> Result<(), StoreError> {
        let changed = self.store.write("delete a conversation", |tx| {
            let now = now_ms();
            let changed = tombstone_live(tx, "conversations", "id", id, now)?;
            tombstone_live(tx, "messages", "conversation_id", id, now)?;
            Ok(changed)
        })?;
        if changed == 0 {
            Err(not_found(id))
        } else {
            Ok(())
        }
    }

    /// Appends `messages` to a live conversation, all or nothing, in order, and marks the
    /// conversation active; returns the stored messages.
    pub fn append(
        &self,
        id: &ConversationId,
        messages: &[NewMessage],
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let now = now_ms();
        let stored: Vec<StoredMessage> = messages
            .iter()
            .map(|message| StoredMessage {
                id: MessageId::generate(),
                conversation_id: id.clone(),
                role: message.role,
                content: message.content.clone(),
                citations: message.citations.clone(),
                prompt_tokens: message.prompt_tokens,
                completion_tokens: message.completion_tokens,
                created_at: now,
            })
            .collect();
        let touched = self.store.write("save chat messages", |tx| {
            let touched = tx.execute(
                "UPDATE conversations SET updated_at = ?2 WHERE id = ?1 AND deleted_at IS NULL",
                params![id, now],
            )?;
            if touched == 0 {
                return Ok(0);
            }
            let mut insert = tx.prepare_cached(
                "INSERT INTO messages (id, conversation_id, role, content, citations_json,
                                       prompt_tokens, completion_tokens, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
            )?;
            for message in &stored {
                let citations = if message.citations.is_empty() {
                    None
                } else {
                    Some(to_json(&message.citations)?)
                };
                insert.execute(params![
                    message.id,
                    message.conversation_id,
                    role_text(message.role),
                    message.content,
                    citations,
                    message.prompt_tokens,
                    message.completion_tokens,
                    now
                ])?;
            }
            Ok(touched)
        })?;
        if touched == 0 {
            return Err(not_found(id));
        }
        Ok(stored)
    }

    /// The live messages of a conversation, in the order they were said.
    pub fn messages(&self, id: &ConversationId) -> Result<Vec<StoredMessage>, StoreError> {
        self.get(id)?;
        self.store.read("read chat messages", |conn| {
            conn.prepare_cached(
                "SELECT id, conversation_id, role, content, citations_json, prompt_tokens,
                        completion_tokens, created_at
                 FROM messages WHERE conversation_id = ?1 AND deleted_at IS NULL
                 ORDER BY created_at, rowid",
            )?
            .query_map([id], StoredMessage::from_row)?
            .collect()
        })
    }
}

/// Escapes `%`, `_` and the escape character itself for a `LIKE ... ESCAPE '\'` pattern.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

fn not_found(id: &ConversationId) -> StoreError {
    StoreError::NotFound {
        entity: "conversation",
        id: id.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;
    use crate::store::lectures::tests::store_with_lecture;
    use crate::store::test_support::row_change_seq;

    fn citation(lecture: &crate::store::Lecture) -> Citation {
        Citation {
            marker: 1,
            chunk_id: ChunkId::from("chunk-1".to_owned()),
            locator: SourceLocator::LectureSpan {
                lecture_id: lecture.id.clone(),
                start_ms: 754_000,
                end_ms: 760_000,
            },
            label: "Cells @ 12:34".into(),
        }
    }

    #[test]
    fn a_question_and_a_cited_answer_are_stored_and_read_back_in_order() {
        let (_dir, store, lecture) = store_with_lecture();
        let repo = store.conversations();
        let conversation = repo
            .create(Some(&lecture.class_id), "What is a cell?")
            .unwrap();
        let answer = NewMessage {
            role: ChatRole::Assistant,
            content: "A cell is the unit of life [1].".into(),
            citations: vec![citation(&lecture)],
            prompt_tokens: Some(812),
            completion_tokens: Some(9),
        };
        repo.append(
            &conversation.id,
            &[NewMessage::plain(ChatRole::User, "What is a cell?"), answer],
        )
        .unwrap();

        let messages = repo.messages(&conversation.id).unwrap();
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0].role, ChatRole::User);
        assert!(messages[0].citations.is_empty());
        assert_eq!(messages[1].citations, vec![citation(&lecture)]);
        assert_eq!(messages[1].prompt_tokens, Some(812));
        assert!(repo.get(&conversation.id).unwrap().updated_at >= conversation.updated_at);
    }

    #[test]
    fn list_search_rename_and_delete() {
        let (_dir, store, lecture) = store_with_lecture();
        let repo = store.conversations();
        let cells = repo.create(Some(&lecture.class_id), "Cells").unwrap();
        let general = repo.create(None, "Exam tips").unwrap();
        repo.append(
            &general.id,
            &[NewMessage::plain(
                ChatRole::User,
                "How do I study 100% better_?",
            )],
        )
        .unwrap();

        assert_eq!(repo.list(None).unwrap().len(), 2);
        let in_class = repo.list(Some(&lecture.class_id)).unwrap();
        assert_eq!(in_class.len(), 1);
        assert_eq!(in_class[0].id, cells.id);

        // LIKE wildcards in the search text are literal.
        let hits = repo.search("100% better_", None).unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].id, general.id);
        assert!(repo.search("100%% better", None).unwrap().is_empty());
        assert_eq!(repo.search("CELLS", None).unwrap().len(), 1);

        let before = row_change_seq(&store, "conversations", cells.id.as_str());
        repo.rename(&cells.id, "Cell biology").unwrap();
        assert_eq!(repo.get(&cells.id).unwrap().title, "Cell biology");
        assert!(row_change_seq(&store, "conversations", cells.id.as_str()) > before);

        repo.delete(&general.id).unwrap();
        assert!(matches!(
            repo.get(&general.id),
            Err(StoreError::NotFound { .. })
        ));
        assert!(repo.messages(&general.id).is_err());
        assert!(repo.search("better", None).unwrap().is_empty());
        assert!(matches!(
            repo.delete(&general.id),
            Err(StoreError::NotFound { .. })
        ));
    }

    #[test]
    fn appending_to_a_missing_conversation_stores_nothing() {
        let (_dir, store, _lecture) = store_with_lecture();
        let repo = store.conversations();
        let missing = ConversationId::from("nope".to_owned());
        assert!(matches!(
            repo.append(&missing, &[NewMessage::plain(ChatRole::User, "hi")]),
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(
            crate::store::test_support::count_rows(&store, "messages"),
            0
        );
        assert!(repo.create(None, "   ").is_err());
    }
}
