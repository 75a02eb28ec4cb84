import { useCallback } from "react";
import { deleteDocument, deleteLecture, listDocuments, listLectures, onLibraryChanged, type DocumentSummary, type LectureSummary } from "../api";
import { useNav } from "../app/nav";
import { Empty, Loaded } from "../components/common";
import { ConfirmDelete } from "../components/ConfirmDelete";
import { clock, day, lookup, strings } from "../strings";
import { useCommand, useEvent } from "../useCommand";

function LectureRow({ lecture, onDeleted }: { lecture: LectureSummary; onDeleted: () => void }) {
  const { navigate } = useNav();
  return (
    <li className="item-row" data-testid="lecture-row">
      <button
        type="button"
        className="item-link"
        onClick={() => {
          navigate({ page: "lecture", lectureId: lecture.id, atMs: null });
        }}
      >
        <span className="item-title">{lecture.title}</span>
        <span className="muted small">
          {day(lecture.createdAt)}
          {lecture.durationMs !== null && ` · ${clock(lecture.durationMs)}`}
        </span>
      </button>
      <span className={`badge badge-lecture-${lecture.status}`}>{lookup(strings.library.lectureStatus, lecture.status)}</span>
      <ConfirmDelete
        label={strings.library.deleteLecture(lecture.title)}
        question={strings.library.confirmDeleteItem(lecture.title)}
        testId="lecture-delete"
        onDelete={() => deleteLecture(lecture.id)}
        onDeleted={onDeleted}
      />
    </li>
  );
}

/** A class's lectures, refreshed as imports and transcriptions finish. */
export function LecturesTab({ classId }: { classId: string }) {
  const load = useCallback(() => listLectures(classId), [classId]);
  const [lectures, controls] = useCommand(load);
  useEvent(onLibraryChanged, (change) => {
    if (change.classId === classId) controls.refresh();
  });
  return (
    <Loaded state={lectures} failed={strings.library.loadLecturesFailed} onRetry={controls.retry}>
      {(list) =>
        list.length === 0 ? (
          <Empty>
            <p>{strings.library.lecturesEmpty}</p>
            <p className="muted small">{strings.library.dropHint}</p>
          </Empty>
        ) : (
          <ul className="item-list" data-testid="lecture-list">
            {list.map((lecture) => (
              <LectureRow
                key={lecture.id}
                lecture={lecture}
                onDeleted={() => {
                  controls.update((old) => old.filter((other) => other.id !== lecture.id));
                }}
              />
            ))}
          </ul>
        )
      }
    </Loaded>
  );
}

function DocumentRow({ document, onDeleted }: { document: DocumentSummary; onDeleted: () => void }) {
  const { navigate } = useNav();
  return (
    <li className="item-row" data-testid="document-row">
      <button
        type="button"
        className="item-link"
        onClick={() => {
          navigate({ page: "document", documentId: document.id, pageNumber: null });
        }}
      >
        <span className="item-title">{document.title}</span>
        <span className="muted small">
          {document.kind.toUpperCase()} · {day(document.createdAt)}
          {document.pageCount !== null && ` · ${strings.library.pages(document.pageCount)}`}
        </span>
      </button>
      <ConfirmDelete
        label={strings.library.deleteDocument(document.title)}
        question={strings.library.confirmDeleteItem(document.title)}
        testId="document-delete"
        onDelete={() => deleteDocument(document.id)}
        onDeleted={onDeleted}
      />
    </li>
  );
}

/** A class's documents. */
export function DocumentsTab({ classId }: { classId: string }) {
  const load = useCallback(() => listDocuments(classId), [classId]);
  const [documents, controls] = useCommand(load);
  useEvent(onLibraryChanged, (change) => {
    if (change.classId === classId) controls.refresh();
  });
  return (
    <Loaded state={documents} failed={strings.library.loadDocumentsFailed} onRetry={controls.retry}>
      {(list) =>
        list.length === 0 ? (
          <Empty>
            <p>{strings.library.documentsEmpty}</p>
            <p className="muted small">{strings.library.dropHint}</p>
          </Empty>
        ) : (
          <ul className="item-list" data-testid="document-list">
            {list.map((document) => (
              <DocumentRow
                key={document.id}
                document={document}
                onDeleted={() => {
                  controls.update((old) => old.filter((other) => other.id !== document.id));
                }}
              />
            ))}
          </ul>
        )
      }
    </Loaded>
  );
}
