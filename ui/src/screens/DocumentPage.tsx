import { useCallback, useEffect } from "react";
import { getDocument } from "../api";
import { useNav } from "../app/nav";
import { Loaded, PageTitle } from "../components/common";
import { strings } from "../strings";
import { useCommand } from "../useCommand";

/** A document's pages as text, scrolled to the page a citation or search hit points at. */
export function DocumentPage({ documentId, pageNumber }: { documentId: string; pageNumber: number | null }) {
  const { navigate } = useNav();
  const load = useCallback(() => getDocument(documentId), [documentId]);
  const [document, controls] = useCommand(load);
  const text = strings.document;
  const ready = document.status === "ready";

  useEffect(() => {
    if (ready && pageNumber !== null) window.document.getElementById(`page-${String(pageNumber)}`)?.scrollIntoView();
  }, [ready, pageNumber]);

  return (
    <Loaded state={document} failed={text.loadFailed} onRetry={controls.retry}>
      {(detail) => (
        <>
          <PageTitle
            backLabel={text.back}
            title={detail.title}
            onBack={() => {
              navigate({ page: "class", classId: detail.classId, tab: "documents" });
            }}
          >
            <a className="button-link secondary" href={detail.fileUrl} target="_blank" rel="noreferrer">
              {text.openFile}
            </a>
          </PageTitle>
          <ol className="pages">
            {detail.pages.map((page) => (
              <li
                key={page.number}
                id={`page-${String(page.number)}`}
                className={page.number === pageNumber ? "card page target" : "card page"}
                data-testid="document-page"
                aria-current={page.number === pageNumber ? "location" : undefined}
              >
                <h2 className="page-number">{text.page(page.number)}</h2>
                {page.text.trim() === "" ? <p className="muted">{text.noText}</p> : <p className="page-text">{page.text}</p>}
              </li>
            ))}
          </ol>
        </>
      )}
    </Loaded>
  );
}
