/** A failed load: what failed, the command's own message, and a way to try again. */
export function LoadError(props: { summary: string; detail: string; retryLabel: string; onRetry: () => void }) {
  return (
    <div role="alert" className="error">
      <p>{props.summary}</p>
      <p className="error-detail">{props.detail}</p>
      <button type="button" onClick={props.onRetry}>
        {props.retryLabel}
      </button>
    </div>
  );
}
