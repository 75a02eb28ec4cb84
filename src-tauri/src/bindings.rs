//! The TypeScript types of every DTO and event payload, generated with ts-rs into
//! `ui/src/bindings/` (one file per type). The `bindings` test regenerates them into a temporary
//! folder and fails when the committed files differ; `LM_UPDATE_BINDINGS=1 cargo test -p
//! little-monster --test bindings` rewrites them.

use std::path::Path;

use ts_rs::TS;

use crate::commands::{
    app, cards, chat, classes, document, import, jobs, lecture, library, models, notes, profiles,
    quiz, record, search, settings,
};
use crate::{error, events};

/// Writes the TypeScript file of every type the UI receives or sends (and of the types they
/// use) into `dir`.
pub fn export_to(dir: &Path) -> Result<(), ts_rs::ExportError> {
    macro_rules! export {
        ($($type:ty),+ $(,)?) => {
            $(<$type as TS>::export_all_to(dir)?;)+
        };
    }
    export!(
        error::CommandError,
        error::ErrorKind,
        app::AppInfo,
        app::Diagnostics,
        app::WorkerBinary,
        profiles::ProfileSummary,
        classes::ClassSummary,
        library::LectureSummary,
        library::DocumentSummary,
        import::ImportReport,
        import::ImportFileResult,
        import::ImportStatus,
        jobs::JobSummary,
        lecture::LectureDetail,
        lecture::TranscriptSegmentView,
        record::InputDevice,
        record::RecordingState,
        document::DocumentDetail,
        document::DocumentPageView,
        search::SearchResultView,
        chat::ConversationSummary,
        chat::ConversationView,
        chat::MessageView,
        chat::CitationView,
        chat::LocatorView,
        chat::AskStarted,
        notes::NoteView,
        notes::StudyScopeInput,
        quiz::QuizSummary,
        quiz::QuizView,
        quiz::QuizQuestionView,
        quiz::AttemptResultView,
        quiz::QuestionFeedbackView,
        quiz::QuizAttemptSummary,
        cards::FlashcardView,
        cards::ReviewChoiceView,
        settings::Settings,
        models::ModelSummary,
        models::Presence,
        events::LibraryChanged,
        events::TranscriptSegmentEvent,
        events::RecordingLevel,
        events::ChatToken,
        events::ChatDone,
        events::ReadAloudEvent,
    );
    Ok(())
}
