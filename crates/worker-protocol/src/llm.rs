//! Messages of the language-model worker (`lm-llm-worker`, llama.cpp).
//!
//! The worker is started as `lm-llm-worker --model PATH [--ctx N] [--threads N]
//! [--chat-template NAME]`. Its ready line reports the context size it loaded the model with, so
//! the host can budget prompts without a round trip.
//!
//! ```text
//! host -> worker  {"id":1,"request":{"type":"chat","messages":[{"role":"user","content":"Hi"}],
//!                  "options":{"max_tokens":64,"temperature":0.0,"seed":1}}}
//! worker -> host  {"event":"stream","id":1,"data":{"type":"token","text":"Hello"}}   per piece
//!                 {"event":"result","id":1,"data":{"type":"generation","text":"Hello!",...}}
//! host -> worker  {"id":2,"request":{"type":"count_tokens","text":"Hello"}}
//! worker -> host  {"event":"result","id":2,"data":{"type":"token_count","count":1}}
//! ```

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::Protocol;

/// Marker type naming the llm worker's message set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Llm;

impl Protocol for Llm {
    const WORKER: &'static str = "llm";
    type Request = LlmRequest;
    type Stream = LlmStream;
    type Result = LlmResult;
    type Model = LlamaModelInfo;
}

/// What the host asks the llm worker to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LlmRequest {
    /// Generate the assistant's reply to a conversation, streaming [`LlmStream::Token`]s and
    /// answering with [`LlmResult::Generation`].
    Chat {
        /// The conversation so far, oldest first.
        messages: Vec<Message>,
        /// How to generate.
        options: ChatOptions,
    },
    /// Count the tokens of a text with the model's tokenizer (no special tokens added);
    /// answered with [`LlmResult::TokenCount`].
    CountTokens {
        /// The text to count.
        text: String,
    },
}

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions to the model.
    System,
    /// The student.
    User,
    /// The model.
    Assistant,
}

impl Role {
    /// The role's name as chat templates spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Who said it.
    pub role: Role,
    /// What was said.
    pub content: String,
}

/// Options for one generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatOptions {
    /// Upper bound on generated tokens; the prompt plus this must fit in the context.
    pub max_tokens: u32,
    /// Sampling temperature; 0 (or below) is greedy.
    pub temperature: f32,
    /// Sampling seed.
    pub seed: u32,
    /// When set, the output is constrained by a grammar to JSON matching this JSON Schema, and
    /// running into `max_tokens` is an error (the JSON would be cut off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_schema: Option<serde_json::Value>,
    /// CPU threads for this request; `None` uses the worker's `--threads`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<u32>,
}

/// What the llm worker streams while it generates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LlmStream {
    /// The next piece of generated text: always whole UTF-8 characters, possibly several tokens'
    /// worth when a character spans tokens.
    Token {
        /// The text.
        text: String,
    },
}

/// Why generation stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Finish {
    /// The model produced an end-of-generation token.
    Stop,
    /// `max_tokens` was reached.
    Length,
}

/// The final answer to a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LlmResult {
    /// The answer to [`LlmRequest::Chat`].
    Generation {
        /// The whole generated text (the concatenation of the streamed tokens).
        text: String,
        /// Tokens in the prompt after the chat template was applied.
        prompt_tokens: u32,
        /// Tokens generated.
        completion_tokens: u32,
        /// Why generation stopped.
        finish: Finish,
        /// Prompt processing speed, tokens per second.
        prompt_tokens_per_second: f64,
        /// Generation speed, tokens per second (prompt processing excluded).
        tokens_per_second: f64,
    },
    /// The answer to [`LlmRequest::CountTokens`].
    TokenCount {
        /// Tokens in the text.
        count: usize,
    },
}

/// Facts about the model the worker loaded, reported in its ready line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlamaModelInfo {
    /// The model file.
    pub path: PathBuf,
    /// The context window the model is loaded with, in tokens.
    pub n_ctx: u32,
    /// The context window the model was trained with.
    pub n_ctx_train: u32,
    /// Tokens in the vocabulary.
    pub n_vocab: u32,
    /// The chat template in use: "embedded" for the model's own, otherwise the llama.cpp
    /// template family name ("gemma", "chatml", ...).
    pub chat_template: String,
    /// The default CPU thread count for requests.
    pub threads: u32,
    /// llama.cpp's one-line description of the model (architecture, size, quantisation).
    pub description: String,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap.
mod tests {
    use super::*;
    use crate::{RequestEnvelope, WorkerMessage};

    #[test]
    fn chat_request_parses_from_the_documented_wire_shape() {
        let line = r#"{"id":1,"request":{"type":"chat","messages":[{"role":"user","content":"Hi"}],"options":{"max_tokens":64,"temperature":0.0,"seed":1}}}"#;
        let request: RequestEnvelope<Llm> = serde_json::from_str(line).unwrap();
        assert_eq!(
            request.request,
            LlmRequest::Chat {
                messages: vec![Message {
                    role: Role::User,
                    content: "Hi".into()
                }],
                options: ChatOptions {
                    max_tokens: 64,
                    temperature: 0.0,
                    seed: 1,
                    json_schema: None,
                    threads: None
                },
            }
        );
        let line = r#"{"id":2,"request":{"type":"count_tokens","text":"Hello"}}"#;
        let request: RequestEnvelope<Llm> = serde_json::from_str(line).unwrap();
        assert_eq!(
            request.request,
            LlmRequest::CountTokens {
                text: "Hello".into()
            }
        );
    }

    #[test]
    fn events_round_trip_with_the_documented_wire_shape() {
        let token = WorkerMessage::<Llm>::Stream {
            id: 1,
            data: LlmStream::Token { text: "é".into() },
        };
        let line = serde_json::to_string(&token).unwrap();
        assert_eq!(
            line,
            r#"{"event":"stream","id":1,"data":{"type":"token","text":"é"}}"#
        );
        assert_eq!(
            serde_json::from_str::<WorkerMessage<Llm>>(&line).unwrap(),
            token
        );

        let count = WorkerMessage::<Llm>::Result {
            id: 2,
            data: LlmResult::TokenCount { count: 1 },
        };
        let line = serde_json::to_string(&count).unwrap();
        assert_eq!(
            line,
            r#"{"event":"result","id":2,"data":{"type":"token_count","count":1}}"#
        );

        let generation = WorkerMessage::<Llm>::Result {
            id: 1,
            data: LlmResult::Generation {
                text: "Hello!".into(),
                prompt_tokens: 9,
                completion_tokens: 3,
                finish: Finish::Stop,
                prompt_tokens_per_second: 200.0,
                tokens_per_second: 50.5,
            },
        };
        let line = serde_json::to_string(&generation).unwrap();
        assert_eq!(
            serde_json::from_str::<WorkerMessage<Llm>>(&line).unwrap(),
            generation
        );
    }
}
