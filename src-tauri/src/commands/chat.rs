//! Chat: questions about the student's material, answered by the local model with citations,
//! streamed to the window as `chat-token` events and ended by `chat-done`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use lm_core::chat::{ChatService, ChatSettings, title_for};
use lm_core::engines::ChatRole;
use lm_core::store::{
    Citation, ClassId, Conversation, ConversationId, SourceLocator, StoredMessage,
};
use lm_knowledge::HybridRetriever;
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime, State};
use ts_rs::TS;

use super::session_id;
use crate::error::{CommandError, CommandResult, ErrorKind};
use crate::events::{ChatDone, ChatToken, names};
use crate::state::{ShellState, lock};

/// Where a citation points: a document page or a moment of a lecture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum LocatorView {
    /// A page of a document.
    #[serde(rename_all = "camelCase")]
    DocumentPage {
        /// The document.
        document_id: String,
        /// 1-based page number.
        page: u32,
    },
    /// A span of a lecture.
    #[serde(rename_all = "camelCase")]
    LectureSpan {
        /// The lecture.
        lecture_id: String,
        /// Start, in ms from the start of the lecture.
        #[ts(type = "number")]
        start_ms: u64,
        /// End, in ms.
        #[ts(type = "number")]
        end_ms: u64,
    },
}

impl From<&SourceLocator> for LocatorView {
    fn from(locator: &SourceLocator) -> Self {
        match locator {
            SourceLocator::DocumentPage { document_id, page } => Self::DocumentPage {
                document_id: document_id.to_string(),
                page: *page,
            },
            SourceLocator::LectureSpan {
                lecture_id,
                start_ms,
                end_ms,
            } => Self::LectureSpan {
                lecture_id: lecture_id.to_string(),
                start_ms: *start_ms,
                end_ms: *end_ms,
            },
        }
    }
}

/// A citation marker (`[1]`) and the place it points to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CitationView {
    /// The number in the text's `[n]` marker.
    pub marker: u32,
    /// What to show: "Cells @ 12:34", "Notes p. 7".
    pub label: String,
    /// The passage cited.
    pub chunk_id: String,
    /// Where it is; clicking opens the page or seeks the lecture.
    pub locator: LocatorView,
}

impl From<&Citation> for CitationView {
    fn from(citation: &Citation) -> Self {
        Self {
            marker: citation.marker,
            label: citation.label.clone(),
            chunk_id: citation.chunk_id.to_string(),
            locator: LocatorView::from(&citation.locator),
        }
    }
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    /// The message's id.
    pub id: String,
    /// `user` or `assistant`.
    pub role: String,
    /// Its text, with `[n]` citation markers in answers.
    pub content: String,
    /// The places its markers cite.
    pub citations: Vec<CitationView>,
    /// When it was written (Unix ms).
    #[ts(type = "number")]
    pub created_at: i64,
}

impl From<&StoredMessage> for MessageView {
    fn from(message: &StoredMessage) -> Self {
        let role = match message.role {
            ChatRole::System => "system",
            ChatRole::User => "user",
            ChatRole::Assistant => "assistant",
        };
        Self {
            id: message.id.to_string(),
            role: role.to_owned(),
            content: message.content.clone(),
            citations: message.citations.iter().map(CitationView::from).collect(),
            created_at: message.created_at,
        }
    }
}

/// A conversation as the chat list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConversationSummary {
    /// The conversation's id.
    pub id: String,
    /// The class it is about; `null` for all classes.
    pub class_id: Option<String>,
    /// Its title.
    pub title: String,
    /// When it started (Unix ms).
    #[ts(type = "number")]
    pub created_at: i64,
    /// When it last changed (Unix ms).
    #[ts(type = "number")]
    pub updated_at: i64,
}

impl From<&Conversation> for ConversationSummary {
    fn from(conversation: &Conversation) -> Self {
        Self {
            id: conversation.id.to_string(),
            class_id: conversation.class_id.as_ref().map(ToString::to_string),
            title: conversation.title.clone(),
            created_at: conversation.created_at,
            updated_at: conversation.updated_at,
        }
    }
}

/// A conversation with its messages.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConversationView {
    /// The conversation.
    #[serde(flatten)]
    pub summary: ConversationSummary,
    /// Its messages, oldest first.
    pub messages: Vec<MessageView>,
}

/// What `ask` returns at once; the answer follows as events.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AskStarted {
    /// Names this answer in `chat-token`, `chat-done` and `stop_answer`.
    pub request_id: String,
    /// The conversation the question and answer go to.
    pub conversation_id: String,
}

/// The conversations of class `class_id`, or all of them.
#[tauri::command]
pub fn list_conversations(
    state: State<'_, ShellState>,
    class_id: Option<String>,
) -> CommandResult<Vec<ConversationSummary>> {
    state.with_library(|library| {
        let class_id = class_id.map(ClassId::from);
        let conversations = library.store().conversations().list(class_id.as_ref())?;
        Ok(conversations
            .iter()
            .map(ConversationSummary::from)
            .collect())
    })
}

/// Conversation `conversation_id` with its messages and their citations.
#[tauri::command]
pub fn get_conversation(
    state: State<'_, ShellState>,
    conversation_id: String,
) -> CommandResult<ConversationView> {
    state.with_library(|library| {
        let conversations = library.store().conversations();
        let id = ConversationId::from(conversation_id);
        let conversation = conversations.get(&id)?;
        let messages = conversations.messages(&id)?;
        Ok(ConversationView {
            summary: ConversationSummary::from(&conversation),
            messages: messages
                .iter()
                .filter(|message| message.role != ChatRole::System)
                .map(MessageView::from)
                .collect(),
        })
    })
}

/// Renames conversation `conversation_id`.
#[tauri::command]
pub fn rename_conversation(
    state: State<'_, ShellState>,
    conversation_id: String,
    title: String,
) -> CommandResult<()> {
    state.with_library(|library| {
        Ok(library
            .store()
            .conversations()
            .rename(&conversation_id.into(), &title)?)
    })
}

/// Deletes conversation `conversation_id`.
#[tauri::command]
pub fn delete_conversation(
    state: State<'_, ShellState>,
    conversation_id: String,
) -> CommandResult<()> {
    state.with_library(|library| {
        Ok(library
            .store()
            .conversations()
            .delete(&conversation_id.into())?)
    })
}

/// Asks `question` about the material of class `class_id` (or of every class), in conversation
/// `conversation_id` (a new one when absent). Returns at once; the answer streams as
/// `chat-token` events on a worker thread and ends with `chat-done`.
#[tauri::command]
pub fn ask<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, ShellState>,
    question: String,
    class_id: Option<String>,
    conversation_id: Option<String>,
) -> CommandResult<AskStarted> {
    if question.trim().is_empty() {
        return Err(CommandError::invalid(
            "ask a question first: the question is empty",
        ));
    }
    let class_id = class_id.map(ClassId::from);
    // The conversation exists before the answer, so the window can show it at once.
    let conversation = state.with_library(|library| {
        let conversations = library.store().conversations();
        match conversation_id {
            Some(id) => Ok(conversations.get(&id.into())?),
            None => Ok(conversations.create(class_id.as_ref(), &title_for(&question))?),
        }
    })?;
    let class_id = class_id.or_else(|| conversation.class_id.clone());
    let request_id = session_id();
    let cancel = Arc::new(AtomicBool::new(false));
    lock(&state.answers).insert(request_id.clone(), Arc::clone(&cancel));
    let started = AskStarted {
        request_id: request_id.clone(),
        conversation_id: conversation.id.to_string(),
    };
    let spawned = std::thread::Builder::new()
        .name("chat-answer".into())
        .spawn(move || {
            let state = app.state::<ShellState>();
            let outcome = answer(
                &state,
                &conversation.id,
                class_id.as_ref(),
                &question,
                &cancel,
                &mut |text| {
                    let token = ChatToken {
                        request_id: request_id.clone(),
                        text: text.to_owned(),
                    };
                    state.emit(names::CHAT_TOKEN, &token);
                },
            );
            lock(&state.answers).remove(&request_id);
            let done = match outcome {
                Ok(message) => ChatDone {
                    request_id,
                    message: Some(MessageView::from(&message)),
                    error: None,
                },
                Err(error) => ChatDone {
                    request_id,
                    message: None,
                    error: Some(if cancel.load(Ordering::SeqCst) {
                        CommandError::new(
                            ErrorKind::Busy,
                            "The answer was stopped before it was complete.",
                        )
                    } else {
                        error
                    }),
                },
            };
            state.emit(names::CHAT_DONE, &done);
        });
    spawned.map_err(|error| {
        CommandError::internal(format!("cannot start the answer thread: {error}"))
    })?;
    Ok(started)
}

/// Answers `question` in `conversation` with the shared language model and the hybrid
/// retriever, on a connection of its own so the window's other commands go on meanwhile.
fn answer(
    state: &ShellState,
    conversation: &ConversationId,
    class_id: Option<&ClassId>,
    question: &str,
    cancel: &AtomicBool,
    on_token: &mut dyn FnMut(&str),
) -> CommandResult<StoredMessage> {
    let (llm, index, embedder) = state.with_services(|services| {
        Ok((
            services.llm()?,
            Arc::clone(services.search_index()),
            Arc::clone(services.embedder()),
        ))
    })?;
    let library = state.open_library()?;
    let store = library.store();
    let settings = ChatSettings {
        threads: state.settings().threads,
        ..ChatSettings::default()
    };
    let answered = index.read(store, |search_index| {
        let retriever = HybridRetriever::new(store, search_index, embedder.as_ref());
        let chat = ChatService::new(store, llm.as_ref(), &retriever, settings);
        Ok(chat.ask(
            Some(conversation),
            class_id,
            question,
            Some(cancel),
            on_token,
        ))
    })?;
    Ok(answered?.message)
}

/// Stops answer `request_id`; it ends with a `chat-done` carrying an error.
#[tauri::command]
pub fn stop_answer(state: State<'_, ShellState>, request_id: String) -> CommandResult<()> {
    if let Some(cancel) = lock(&state.answers).get(&request_id) {
        cancel.store(true, Ordering::SeqCst);
    }
    Ok(())
}
