import { useState } from "react";
import { onFileDrag, type ImportFileResult } from "../api";
import { findClass, useClasses } from "../app/classes";
import { useImporter, type ImportBatch } from "../app/importer";
import { isActive, jobTitle, useJobs } from "../app/jobs";
import { lookup, strings } from "../strings";
import { useEvent } from "../useCommand";
import { Progress } from "./common";

function fileName(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).pop() ?? path;
}

function FileResult({ file }: { file: ImportFileResult }) {
  const jobs = useJobs();
  const job = file.jobId === null ? undefined : jobs.byId.get(file.jobId);
  const text = strings.library;
  return (
    <li className={`import-file import-${file.status}`} data-testid="import-result" data-status={file.status}>
      <div className="import-file-head">
        <span className="import-name" title={file.path}>
          {file.title ?? fileName(file.path)}
        </span>
        <span className="import-outcome">{lookup(text.outcome, file.status)}</span>
      </div>
      {file.notices.map((notice) => (
        <p key={notice} className="muted small">
          {notice}
        </p>
      ))}
      {file.error !== null && (
        <p role="alert" className="error-text">
          {file.error.message}
        </p>
      )}
      {job !== undefined && isActive(job) && (
        <div className="import-job">
          <Progress percent={job.percent} label={jobTitle(job)} />
          <span className="muted small">
            {job.message ?? lookup(strings.jobs.status, job.status)} · {Math.round(job.percent)} %
          </span>
        </div>
      )}
      {job !== undefined && !isActive(job) && (
        <span className="muted small">
          {lookup(strings.jobs.status, job.status)}
          {job.error !== null && `: ${job.error}`}
        </span>
      )}
    </li>
  );
}

function Batch({ batch }: { batch: ImportBatch }) {
  const { dismiss } = useImporter();
  return (
    <section className="card import-batch" aria-label={strings.library.results} data-testid="import-results">
      <div className="row spread">
        <h2>{batch.results === null ? strings.library.importing(batch.paths.length) : strings.library.results}</h2>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            dismiss(batch.id);
          }}
        >
          {strings.library.dismissResults}
        </button>
      </div>
      {batch.error !== null && (
        <div role="alert" className="error">
          <p>{strings.library.importFailed}</p>
          <p className="error-detail">{batch.error}</p>
        </div>
      )}
      {batch.results !== null && (
        <ul className="import-files">
          {batch.results.map((file) => (
            <FileResult key={file.path} file={file} />
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * Files dropped anywhere on the window go to `classId` (the class on screen, or the last one
 * shown). Shows a drop overlay while dragging and each import's per-file results and progress.
 */
export function DropImport({ classId }: { classId: string | null }) {
  const { batches, importFiles } = useImporter();
  const classes = useClasses();
  const [dragging, setDragging] = useState(false);
  const [refused, setRefused] = useState(false);
  const target = classId === null ? undefined : findClass(classes, classId);

  useEvent(onFileDrag, (drag) => {
    if (drag.type === "over") setDragging(true);
    else if (drag.type === "leave") setDragging(false);
    else {
      setDragging(false);
      if (classId === null) setRefused(true);
      else {
        setRefused(false);
        void importFiles(classId, drag.paths);
      }
    }
  });

  return (
    <>
      {dragging && (
        <div className="drop-overlay" data-testid="drop-overlay" aria-hidden="true">
          <p>{target === undefined ? strings.library.noClassForDrop : strings.library.dropHere(target.name)}</p>
        </div>
      )}
      {refused && (
        <p role="alert" className="error-text">
          {strings.library.noClassForDrop}
        </p>
      )}
      {batches.map((batch) => (
        <Batch key={batch.id} batch={batch} />
      ))}
    </>
  );
}
