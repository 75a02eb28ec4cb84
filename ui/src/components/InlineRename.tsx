import { useState, type SyntheticEvent } from "react";
import { strings } from "../strings";
import { useAction } from "../useCommand";
import { ErrorText } from "./common";

/**
 * A name field in place of a list item's name (classes, conversations): Enter or Save renames,
 * Esc cancels; the command's failure shows below it and keeps the field open.
 */
export function InlineRename(props: {
  /** The field's accessible name, e.g. "New name for Biology". */
  label: string;
  initial: string;
  testId: string;
  onRename: (name: string) => Promise<unknown>;
  /** Called after a successful rename, and on Esc. */
  onClose: () => void;
}) {
  const [name, setName] = useState(props.initial);
  const action = useAction();
  const trimmed = name.trim();

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    if (trimmed === props.initial) {
      props.onClose();
      return;
    }
    // `run` answers undefined for a failure, so a rename that resolves to nothing answers true.
    const done = await action.run(async () => {
      await props.onRename(trimmed);
      return true;
    });
    if (done !== undefined) props.onClose();
  };

  return (
    <form className="rename-form" onSubmit={(event) => void submit(event)}>
      <input
        aria-label={props.label}
        data-testid={props.testId}
        value={name}
        // Focus the field the user just asked for.
        autoFocus
        onChange={(event) => {
          setName(event.target.value);
        }}
        onKeyDown={(event) => {
          if (event.key === "Escape") {
            event.preventDefault();
            props.onClose();
          }
        }}
      />
      <button type="submit" disabled={trimmed === "" || action.busy}>
        {strings.save}
      </button>
      <ErrorText message={action.error} />
    </form>
  );
}
