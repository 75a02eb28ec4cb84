//! Search across the lectures and documents of a class or of every class.

use std::sync::Arc;

use lm_knowledge::{SearchMode, location_label};
use lm_search::{Scope, SearchFilter, SourceKind};
use serde::Serialize;
use tauri::{AppHandle, Runtime};
use ts_rs::TS;

use super::blocking;
use super::chat::LocatorView;
use crate::error::{CommandError, CommandResult};

/// Results returned unless the UI asks for another number.
const DEFAULT_LIMIT: usize = 20;

/// One passage found.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SearchResultView {
    /// The passage.
    pub chunk_id: String,
    /// Its class.
    pub class_id: String,
    /// `lecture` or `document`.
    pub source_kind: String,
    /// Where it is, in words: "Cells @ 12:34", "Notes p. 7".
    pub label: String,
    /// Where it is; clicking opens the page or seeks the lecture.
    pub locator: LocatorView,
    /// A piece of its text around the matched words.
    pub snippet: String,
    /// The snippet HTML-escaped with the matches in `<b>`.
    pub snippet_html: String,
    /// The ranking score (only comparable within one result list).
    pub score: f32,
}

/// The passages best matching `query`, in class `class_id` or everywhere; `mode` is
/// `hybrid` (default), `text` or `semantic`.
#[tauri::command]
pub async fn search<R: Runtime>(
    app: AppHandle<R>,
    query: String,
    class_id: Option<String>,
    mode: Option<String>,
    limit: Option<usize>,
) -> CommandResult<Vec<SearchResultView>> {
    if query.trim().is_empty() {
        return Err(CommandError::invalid("type something to search for"));
    }
    let mode = match mode.as_deref().unwrap_or("hybrid") {
        "hybrid" => SearchMode::Hybrid,
        "text" => SearchMode::Text,
        "semantic" => SearchMode::Semantic,
        other => {
            return Err(CommandError::invalid(format!(
                "unknown search mode \"{other}\": choose hybrid, text or semantic"
            )));
        }
    };
    let filter = SearchFilter {
        scope: class_id.map_or(Scope::Everything, |id| Scope::Class(id.into())),
        ..SearchFilter::default()
    };
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    blocking(app, move |state| {
        let (index, embedder) = state.with_services(|services| {
            Ok((
                Arc::clone(services.search_index()),
                Arc::clone(services.embedder()),
            ))
        })?;
        let library = state.open_library()?;
        let store = library.store();
        let hits = index.read(store, |index| {
            Ok(lm_knowledge::search(
                index,
                embedder.as_ref(),
                &query,
                mode,
                &filter,
                limit,
            ))
        })??;
        hits.iter()
            .map(|hit| {
                Ok(SearchResultView {
                    chunk_id: hit.chunk_id.to_string(),
                    class_id: hit.class_id.to_string(),
                    source_kind: match hit.kind {
                        SourceKind::Lecture => "lecture",
                        SourceKind::Document => "document",
                    }
                    .to_owned(),
                    label: location_label(store, &hit.locator)?,
                    locator: LocatorView::from(&hit.locator),
                    snippet: hit.snippet.text.clone(),
                    snippet_html: hit.snippet.html.clone(),
                    score: hit.score,
                })
            })
            .collect()
    })
    .await
}
