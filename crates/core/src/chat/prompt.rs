//! Prompt assembly within the model's context: instructions, numbered sources, earlier turns,
//! the question, and room for the answer — counted with the model's own tokenizer.
//!
//! Nothing is cut silently: sources and earlier turns that do not fit are left out whole and
//! counted in [`AssembledPrompt`], and a question that cannot fit even alone is an error.

use crate::engines::{ChatMessage, ChatRole, EngineError, Llm};

/// Tokens a chat template adds around each message (role markers, separators). Measured
/// templates (ChatML, Gemma, Llama 3) add 4–7; counting 8 keeps the estimate on the safe side.
pub(crate) const TEMPLATE_TOKENS_PER_MESSAGE: usize = 8;

/// The instructions that make the model answer from the student's material only.
pub const SYSTEM_PROMPT: &str = "You are Little Monster, a study assistant. Answer the \
student's question using only the numbered sources from their class material. After each fact, \
cite its source like [1]. If the sources do not contain the answer, say that you could not find \
it in their material. Be brief and clear.";

/// One source offered to the model, numbered by its position (from 1).
#[derive(Debug, Clone, PartialEq)]
pub struct PromptSource {
    /// How the source is introduced: `Cells @ 12:34`.
    pub label: String,
    /// The passage text.
    pub text: String,
}

/// A question and the answer it got, from earlier in the conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct EarlierTurn {
    /// What the student asked.
    pub question: String,
    /// What the assistant answered.
    pub answer: String,
}

/// The messages to send, and what had to be left out to fit.
#[derive(Debug, Clone, PartialEq)]
pub struct AssembledPrompt {
    /// System, earlier turns, then the question with its sources.
    pub messages: Vec<ChatMessage>,
    /// How many of the offered sources are in the prompt (the first ones, in order).
    pub sources_used: usize,
    /// Sources left out because the context was full.
    pub sources_left_out: usize,
    /// Earlier turns left out (the oldest ones) because the context was full.
    pub turns_left_out: usize,
    /// Estimated prompt tokens, template overhead included.
    pub prompt_tokens: usize,
}

/// Why a prompt could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// The question alone (with instructions and room for the answer) exceeds the context.
    #[error(
        "the question is too long for the model: it needs about {needed} tokens with room for \
         the answer, and the model's context holds {context}. Shorten the question or choose a \
         model with a larger context."
    )]
    QuestionTooLong {
        /// Tokens needed.
        needed: usize,
        /// The model's context size.
        context: usize,
    },
    /// The model could not count tokens.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

fn source_block(number: usize, source: &PromptSource) -> String {
    format!("[{number}] ({}) {}\n", source.label, source.text.trim())
}

fn question_message(question: &str, sources: &str) -> String {
    if sources.is_empty() {
        format!("Question: {question}")
    } else {
        // The reminder after the question keeps small models from answering with a preamble
        // only ("The answer to this question is:") and from forgetting the markers.
        format!(
            "Sources:\n{sources}\nQuestion: {question}\nAnswer in one or two sentences and cite \
             the sources you use, like [1]."
        )
    }
}

/// Fits instructions, the question, as many `sources` as possible (in order) and then as many
/// recent `earlier` turns as possible into `context_size` tokens, keeping `answer_tokens` free.
pub fn assemble(
    llm: &dyn Llm,
    context_size: usize,
    answer_tokens: usize,
    earlier: &[EarlierTurn],
    question: &str,
    sources: &[PromptSource],
) -> Result<AssembledPrompt, PromptError> {
    let count = |text: &str| -> Result<usize, EngineError> {
        Ok(llm.count_tokens(text)? + TEMPLATE_TOKENS_PER_MESSAGE)
    };
    let base = count(SYSTEM_PROMPT)? + answer_tokens;
    let bare_question = question_message(question, "");
    let needed = base + count(&bare_question)?;
    if needed > context_size {
        return Err(PromptError::QuestionTooLong {
            needed,
            context: context_size,
        });
    }

    // Sources before history: an answer grounded in the material matters more than
    // remembering an old turn. Blocks are estimated one by one, then the whole message is
    // counted again, because tokens can merge across the joins.
    let mut blocks: Vec<String> = Vec::new();
    let mut estimate = needed;
    for (index, source) in sources.iter().enumerate() {
        let block = source_block(index + 1, source);
        let cost = llm.count_tokens(&block)?;
        if estimate + cost > context_size {
            break;
        }
        estimate += cost;
        blocks.push(block);
    }
    let (final_message, final_cost) = loop {
        let message = question_message(question, &blocks.concat());
        let cost = count(&message)?;
        if base + cost <= context_size || blocks.is_empty() {
            break (message, cost);
        }
        blocks.pop();
    };
    let sources_used = blocks.len();
    let mut used = base + final_cost;

    let mut kept_turns = Vec::new();
    for turn in earlier.iter().rev() {
        let cost = count(&turn.question)? + count(&turn.answer)?;
        if used + cost > context_size {
            break;
        }
        used += cost;
        kept_turns.push(turn);
    }
    kept_turns.reverse();

    let mut messages = vec![ChatMessage {
        role: ChatRole::System,
        content: SYSTEM_PROMPT.to_owned(),
    }];
    for turn in &kept_turns {
        messages.push(ChatMessage {
            role: ChatRole::User,
            content: turn.question.clone(),
        });
        messages.push(ChatMessage {
            role: ChatRole::Assistant,
            content: turn.answer.clone(),
        });
    }
    messages.push(ChatMessage {
        role: ChatRole::User,
        content: final_message,
    });
    Ok(AssembledPrompt {
        messages,
        sources_used,
        sources_left_out: sources.len() - sources_used,
        turns_left_out: earlier.len() - kept_turns.len(),
        prompt_tokens: used - answer_tokens,
    })
}
