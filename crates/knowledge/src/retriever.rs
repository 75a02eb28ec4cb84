//! [`HybridRetriever`]: the passages grounded chat answers from.

use std::collections::HashMap;

use lm_core::chat::{ChatError, Passage, Retriever};
use lm_core::engines::Embedder;
use lm_core::store::{ClassId, Store};
use lm_search::{FUSION_DEPTH, Scope, SearchFilter, SearchIndex};

/// The relevance rule: a passage is offered to the model only if the cosine similarity of its
/// embedding to the question's is at least this.
///
/// Full-text matching does not decide relevance: a question shares some ordinary word with
/// almost any chunk. The cosine similarity of all-MiniLM-L6-v2 does; 0.3 is a starting value,
/// not yet tuned on measured score distributions: the tests check only that an answerable
/// question keeps its passage and an unrelated one gets none. Within the relevant passages, the
/// hybrid ranking decides the order.
pub const MIN_SIMILARITY: f32 = 0.3;

/// Retrieves by hybrid search (full-text and semantic, fused by reciprocal rank) and keeps only
/// passages at least [`MIN_SIMILARITY`] similar to the question.
pub struct HybridRetriever<'a> {
    store: &'a Store,
    index: &'a SearchIndex,
    embedder: &'a dyn Embedder,
    min_similarity: f32,
}

impl<'a> HybridRetriever<'a> {
    /// A retriever over `index` (whose chunk texts come from `store`), embedding questions with
    /// `embedder` (the model the index's vectors come from).
    pub fn new(store: &'a Store, index: &'a SearchIndex, embedder: &'a dyn Embedder) -> Self {
        Self {
            store,
            index,
            embedder,
            min_similarity: MIN_SIMILARITY,
        }
    }

    /// Uses another relevance threshold (cosine similarity, -1 to 1).
    pub fn with_min_similarity(mut self, min_similarity: f32) -> Self {
        self.min_similarity = min_similarity;
        self
    }
}

impl Retriever for HybridRetriever<'_> {
    fn retrieve(
        &self,
        question: &str,
        class_id: Option<&ClassId>,
        limit: usize,
    ) -> Result<Vec<Passage>, ChatError> {
        let failed = |error: &dyn std::fmt::Display| ChatError::Retrieval(error.to_string());
        let embedding = self
            .embedder
            .embed(&[question])?
            .pop()
            .ok_or_else(|| failed(&"the embedder returned no vector"))?;
        let filter = SearchFilter {
            scope: class_id.map_or(Scope::Everything, |id| Scope::Class(id.clone())),
            ..SearchFilter::default()
        };
        // The similarity of every chunk the fusion can rank (it looks this deep in each list).
        let similarity: HashMap<_, _> = self
            .index
            .vectors()
            .search(&embedding, &filter, FUSION_DEPTH)
            .map_err(|e| failed(&e))?
            .into_iter()
            .map(|hit| (hit.chunk_id, hit.score))
            .collect();
        let hits = self
            .index
            .search_hybrid(question, &embedding, &filter, FUSION_DEPTH)
            .map_err(|e| failed(&e))?;
        let mut passages = Vec::new();
        for hit in hits {
            if passages.len() == limit {
                break;
            }
            let relevant = similarity
                .get(&hit.chunk_id)
                .is_some_and(|&score| score >= self.min_similarity);
            if !relevant {
                continue;
            }
            let chunk = self.store.chunks().get(&hit.chunk_id)?;
            passages.push(Passage {
                chunk_id: chunk.id,
                text: chunk.text,
                locator: chunk.locator,
            });
        }
        Ok(passages)
    }
}
