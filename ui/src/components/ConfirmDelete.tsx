import { useState } from "react";
import { strings } from "../strings";
import { useAction } from "../useCommand";
import { ErrorText } from "./common";

/**
 * A delete button that asks inline before it runs (the webview's `window.confirm` is not
 * available on every platform), then shows the command's failure beside itself.
 */
export function ConfirmDelete(props: {
  /** The button's accessible name, e.g. "Delete Biology". */
  label: string;
  /** The question asked before deleting. */
  question: string;
  testId: string;
  onDelete: () => Promise<unknown>;
  onDeleted: () => void;
}) {
  const [asking, setAsking] = useState(false);
  const action = useAction();
  const confirm = async () => {
    const done = await action.run(props.onDelete);
    setAsking(false);
    if (done !== undefined) props.onDeleted();
  };
  return (
    <>
      <button
        type="button"
        className="icon-button"
        aria-label={props.label}
        aria-expanded={asking}
        data-testid={props.testId}
        onClick={() => {
          setAsking((open) => !open);
        }}
      >
        ×
      </button>
      {asking && (
        <div className="confirm" role="group" aria-label={props.label}>
          <p>{props.question}</p>
          <div className="row">
            <button
              type="button"
              className="danger small"
              data-testid={`${props.testId}-confirm`}
              disabled={action.busy}
              autoFocus
              onClick={() => void confirm()}
            >
              {strings.delete}
            </button>
            <button
              type="button"
              className="secondary small"
              onClick={() => {
                setAsking(false);
              }}
            >
              {strings.cancel}
            </button>
          </div>
        </div>
      )}
      <ErrorText message={action.error} />
    </>
  );
}
