//! `littlemonster conversations`: the assistant's saved conversations.

use lm_core::engines::ChatRole;
use lm_core::store::ConversationId;

use crate::library::open_library;

/// What `littlemonster conversations` does.
#[derive(Debug, clap::Subcommand)]
pub enum ConversationsAction {
    /// List the conversations, most recent first.
    List,
    /// Print a conversation's questions and answers, with their citations.
    Show {
        /// The conversation id.
        id: String,
    },
    /// Give a conversation a new title.
    Rename {
        /// The conversation id.
        id: String,
        /// The new title.
        title: String,
    },
    /// Delete a conversation and its messages.
    Delete {
        /// The conversation id.
        id: String,
    },
}

/// Runs a `conversations` subcommand.
pub fn run(action: ConversationsAction) -> anyhow::Result<()> {
    let library = open_library()?;
    let conversations = library.store().conversations();
    match action {
        ConversationsAction::List => {
            for conversation in conversations.list(None)? {
                println!("{}  {}", conversation.id, conversation.title);
            }
        }
        ConversationsAction::Show { id } => {
            let id = ConversationId::from(id);
            let conversation = conversations.get(&id)?;
            println!("# {}", conversation.title);
            for message in conversations.messages(&id)? {
                let who = match message.role {
                    ChatRole::User => "you",
                    ChatRole::Assistant => "assistant",
                    ChatRole::System => "system",
                };
                println!("\n{who}: {}", message.content);
                for citation in &message.citations {
                    println!("  [{}] [{}]", citation.marker, citation.label);
                }
            }
        }
        ConversationsAction::Rename { id, title } => {
            conversations.rename(&ConversationId::from(id.clone()), &title)?;
            println!("renamed conversation {id}");
        }
        ConversationsAction::Delete { id } => {
            conversations.delete(&ConversationId::from(id.clone()))?;
            println!("deleted conversation {id}");
        }
    }
    Ok(())
}
