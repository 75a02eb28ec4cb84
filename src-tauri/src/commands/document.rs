//! One document: its file for the viewer and its pages' text.

use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use super::library::DocumentSummary;
use crate::error::CommandResult;
use crate::media::asset_url;
use crate::state::ShellState;

/// One page's text.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DocumentPageView {
    /// 1-based page number.
    pub number: u32,
    /// The page's text.
    pub text: String,
}

/// A document with what its page needs to show it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DocumentDetail {
    /// The document.
    #[serde(flatten)]
    pub summary: DocumentSummary,
    /// The stored file, loadable by the window (asset protocol).
    pub file_url: String,
    /// Its pages' text, in order.
    pub pages: Vec<DocumentPageView>,
}

/// Document `document_id` with its file's URL and its pages.
#[tauri::command]
pub fn get_document(
    state: State<'_, ShellState>,
    document_id: String,
) -> CommandResult<DocumentDetail> {
    state.with_library(|library| {
        let documents = library.store().documents();
        let document = documents.get(&document_id.into())?;
        let pages = documents
            .pages(&document.id)?
            .into_iter()
            .map(|page| DocumentPageView {
                number: page.number,
                text: page.text,
            })
            .collect();
        Ok(DocumentDetail {
            file_url: asset_url(&library.resolve(&document.file_path)),
            summary: DocumentSummary::from(&document),
            pages,
        })
    })
}
