//! Grounded chat: retrieve passages from the student's material, fit them into the model's
//! context, stream the answer, map its `[n]` markers to pages and lecture moments, and keep the
//! conversation.
//!
//! Retrieval sits behind [`Retriever`] so this module needs no search engine or embedder; the
//! front end wires in the hybrid search of `lm-search`.

pub mod citations;
pub mod prompt;

use std::sync::atomic::AtomicBool;

use crate::engines::{ChatRole, EngineError, FinishReason, GenerateOptions, Llm};
use crate::store::{
    ChunkId, ClassId, ConversationId, NewMessage, SourceLocator, Store, StoreError, StoredMessage,
};
use prompt::{AssembledPrompt, EarlierTurn, PromptError, PromptSource};

/// A passage of the student's material that may answer a question.
#[derive(Debug, Clone, PartialEq)]
pub struct Passage {
    /// The chunk it comes from.
    pub chunk_id: ChunkId,
    /// Its text.
    pub text: String,
    /// Where it is: a document page or a lecture moment.
    pub locator: SourceLocator,
}

/// Finds the passages most likely to answer a question, best first, leaving out passages that
/// are not relevant at all (an empty list means "nothing in the material").
pub trait Retriever {
    /// Up to `limit` relevant passages for `question`, from one class or from everything.
    fn retrieve(
        &self,
        question: &str,
        class_id: Option<&ClassId>,
        limit: usize,
    ) -> Result<Vec<Passage>, ChatError>;
}

/// Settings of the assistant.
#[derive(Debug, Clone)]
pub struct ChatSettings {
    /// Passages to retrieve for each question.
    pub passages: usize,
    /// Tokens kept free for the answer.
    pub answer_tokens: u32,
    /// Sampling temperature (low: answers stay close to the sources).
    pub temperature: f32,
    /// Sampling seed.
    pub seed: u32,
    /// CPU threads for the model; `None` for the engine's default.
    pub threads: Option<u32>,
}

impl Default for ChatSettings {
    fn default() -> Self {
        Self {
            passages: 6,
            answer_tokens: 384,
            temperature: 0.2,
            seed: 42,
            threads: None,
        }
    }
}

/// The reply when retrieval finds nothing: said plainly instead of letting the model invent.
pub const NOTHING_FOUND: &str = "I couldn't find anything about this in your class material. \
Try other words, or add the lecture or document that covers it.";

/// An answer, stored in its conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatAnswer {
    /// The conversation the question and answer were added to.
    pub conversation_id: ConversationId,
    /// The stored answer, with its citations and token counts.
    pub message: StoredMessage,
    /// Whether the answer came from the model with sources (false: nothing was found).
    pub grounded: bool,
    /// Sources retrieved but left out because the context was full.
    pub sources_left_out: usize,
    /// Earlier turns left out because the context was full.
    pub turns_left_out: usize,
    /// Generation speed in tokens per second (0 when the model was not asked).
    pub tokens_per_second: f64,
    /// Whether the answer hit the token limit and may be cut short.
    pub cut_short: bool,
}

/// A failure of the chat pipeline.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// Retrieval failed.
    #[error("searching your material failed: {0}")]
    Retrieval(String),
    /// The prompt could not be assembled.
    #[error(transparent)]
    Prompt(#[from] PromptError),
    /// The model failed or was cancelled.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The conversation could not be read or saved.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The question is empty.
    #[error("ask a question first: the question is empty")]
    EmptyQuestion,
}

/// Asks the model about the student's material and keeps the conversation.
pub struct ChatService<'a> {
    store: &'a Store,
    llm: &'a dyn Llm,
    retriever: &'a dyn Retriever,
    settings: ChatSettings,
}

impl<'a> ChatService<'a> {
    /// A chat service over one profile's store.
    pub fn new(
        store: &'a Store,
        llm: &'a dyn Llm,
        retriever: &'a dyn Retriever,
        settings: ChatSettings,
    ) -> Self {
        Self {
            store,
            llm,
            retriever,
            settings,
        }
    }

    /// Answers `question` in `conversation` (a new one, titled by the question, when `None`),
    /// streaming the answer's text to `on_token`; stops early when `cancel` becomes true. The
    /// question and answer are stored together once the answer is complete.
    pub fn ask(
        &self,
        conversation: Option<&ConversationId>,
        class_id: Option<&ClassId>,
        question: &str,
        cancel: Option<&AtomicBool>,
        on_token: &mut dyn FnMut(&str),
    ) -> Result<ChatAnswer, ChatError> {
        let question = question.trim();
        if question.is_empty() {
            return Err(ChatError::EmptyQuestion);
        }
        let earlier = match conversation {
            Some(id) => earlier_turns(&self.store.conversations().messages(id)?),
            None => Vec::new(),
        };

        let passages = self
            .retriever
            .retrieve(question, class_id, self.settings.passages)?;
        if passages.is_empty() {
            on_token(NOTHING_FOUND);
            let answer = NewMessage::plain(ChatRole::Assistant, NOTHING_FOUND);
            let (conversation_id, message) = self.save(conversation, class_id, question, answer)?;
            return Ok(ChatAnswer {
                conversation_id,
                message,
                grounded: false,
                sources_left_out: 0,
                turns_left_out: 0,
                tokens_per_second: 0.0,
                cut_short: false,
            });
        }

        // Every passage as a citation up front: its label introduces the passage in the prompt.
        let cited_passages = (1_u32..)
            .zip(&passages)
            .map(|(marker, passage)| {
                citations::cite(self.store, marker, &passage.chunk_id, &passage.locator)
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let sources: Vec<PromptSource> = cited_passages
            .iter()
            .zip(&passages)
            .map(|(citation, passage)| PromptSource {
                label: citation.label.clone(),
                text: passage.text.clone(),
            })
            .collect();
        let assembled: AssembledPrompt = prompt::assemble(
            self.llm,
            self.llm.context_size()?,
            self.settings.answer_tokens as usize,
            &earlier,
            question,
            &sources,
        )?;
        let options = GenerateOptions {
            max_tokens: self.settings.answer_tokens,
            temperature: self.settings.temperature,
            seed: self.settings.seed,
            json_schema: None,
            threads: self.settings.threads,
        };
        let generation = self
            .llm
            .chat(&assembled.messages, &options, cancel, on_token)?;

        let offered: Vec<&str> = sources[..assembled.sources_used]
            .iter()
            .map(|source| source.text.as_str())
            .collect();
        let mut markers = citations::markers_in(&generation.text, offered.len());
        if markers.is_empty() {
            markers = citations::attribute_by_overlap(&generation.text, &offered, 2);
        }
        let cited = markers
            .into_iter()
            .filter_map(|marker| cited_passages.get(marker as usize - 1).cloned())
            .collect();
        let answer = NewMessage {
            role: ChatRole::Assistant,
            content: generation.text.trim().to_owned(),
            citations: cited,
            prompt_tokens: Some(generation.prompt_tokens),
            completion_tokens: Some(generation.completion_tokens),
        };
        let (conversation_id, message) = self.save(conversation, class_id, question, answer)?;
        Ok(ChatAnswer {
            conversation_id,
            message,
            grounded: true,
            sources_left_out: assembled.sources_left_out,
            turns_left_out: assembled.turns_left_out,
            tokens_per_second: generation.tokens_per_second,
            cut_short: generation.finish_reason == FinishReason::Length,
        })
    }

    /// Stores the question and its answer together, starting the conversation (titled by the
    /// question) only now, so a failed answer leaves no empty conversation behind.
    fn save(
        &self,
        conversation: Option<&ConversationId>,
        class_id: Option<&ClassId>,
        question: &str,
        answer: NewMessage,
    ) -> Result<(ConversationId, StoredMessage), ChatError> {
        let conversations = self.store.conversations();
        let conversation_id = match conversation {
            Some(id) => id.clone(),
            None => conversations.create(class_id, &title_for(question))?.id,
        };
        let stored = conversations.append(
            &conversation_id,
            &[NewMessage::plain(ChatRole::User, question), answer],
        )?;
        let message = stored.into_iter().last().ok_or_else(|| {
            ChatError::Store(StoreError::Invalid {
                field: "chat messages",
                problem: "the answer was not stored".into(),
            })
        })?;
        Ok((conversation_id, message))
    }
}

/// Question/answer pairs from stored messages, oldest first.
fn earlier_turns(messages: &[StoredMessage]) -> Vec<EarlierTurn> {
    messages
        .windows(2)
        .filter(|pair| pair[0].role == ChatRole::User && pair[1].role == ChatRole::Assistant)
        .map(|pair| EarlierTurn {
            question: pair[0].content.clone(),
            answer: pair[1].content.clone(),
        })
        .collect()
}

/// A conversation title from its first question: the first line, at most 80 characters.
pub fn title_for(question: &str) -> String {
    let line = question.lines().next().unwrap_or(question).trim();
    if line.chars().count() <= 80 {
        line.to_owned()
    } else {
        let cut: String = line.chars().take(79).collect();
        format!("{}…", cut.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_come_from_the_first_line_and_are_bounded() {
        assert_eq!(title_for("What is a cell?\nAnd why?"), "What is a cell?");
        let long = "word ".repeat(40);
        let title = title_for(&long);
        assert_eq!(title.chars().count(), 80);
        assert!(title.ends_with('…'));
    }
}
