import { useCallback, useEffect, useState } from "react";
import { dueFlashcards, listFlashcards, reviewFlashcard, type FlashcardView, type Rating } from "../api";
import { useClasses } from "../app/classes";
import { ActionError, Empty, Loaded } from "../components/common";
import { GenerateBar } from "../components/GenerateBar";
import { interval, strings } from "../strings";
import { CardList } from "./CardList";
import { useAction, useCommand } from "../useCommand";

const RATINGS: Rating[] = [1, 2, 3, 4];

/**
 * Keys typed into a field are the field's, not shortcuts; and Space on a focused button (in the
 * card list, say) presses that button.
 */
function keyBelongsToTarget(event: KeyboardEvent): boolean {
  const target = event.target;
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName)) return true;
  return event.key === " " && target.tagName === "BUTTON";
}

function Review({ card, onReviewed }: { card: FlashcardView; onReviewed: () => void }) {
  const [shown, setShown] = useState(false);
  const action = useAction();
  const text = strings.cards;

  const rate = useCallback(
    async (rating: Rating) => {
      const reviewed = await action.run(() => reviewFlashcard(card.id, rating));
      if (reviewed !== undefined) onReviewed();
    },
    [action, card.id, onReviewed],
  );

  // Space shows the answer, 1–4 rate it, anywhere on the page.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (keyBelongsToTarget(event) || event.ctrlKey || event.metaKey || event.altKey || action.busy) return;
      if (event.key === " " && !shown) {
        event.preventDefault();
        setShown(true);
      } else if (shown && ["1", "2", "3", "4"].includes(event.key)) {
        event.preventDefault();
        void rate(Number(event.key) as Rating);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => {
      window.removeEventListener("keydown", onKey);
    };
  }, [shown, rate, action.busy]);

  const choiceFor = (rating: Rating) => card.choices.find((choice) => choice.rating === rating);

  return (
    <article className="card flashcard" data-testid="flashcard" aria-label={text.front}>
      <p className="card-side-label">{text.front}</p>
      <p className="card-front" data-testid="card-front">
        {card.front}
      </p>
      {shown ? (
        <>
          <hr />
          <p className="card-side-label">{text.back}</p>
          <p className="card-back" data-testid="card-back">
            {card.back}
          </p>
          <div className="ratings" role="group" aria-label={text.rateHint}>
            {RATINGS.map((rating) => {
              const choice = choiceFor(rating);
              return (
                <button
                  key={rating}
                  type="button"
                  className={`rating rating-${String(rating)}`}
                  data-testid={`card-rate-${String(rating)}`}
                  disabled={action.busy}
                  aria-keyshortcuts={String(rating)}
                  onClick={() => void rate(rating)}
                >
                  <span className="rating-name">{text.ratings[rating]}</span>
                  {choice !== undefined && <span className="rating-interval">{interval(choice.intervalMs)}</span>}
                  <kbd>{rating}</kbd>
                </button>
              );
            })}
          </div>
        </>
      ) : (
        <button
          type="button"
          className="show-answer"
          data-testid="card-show"
          aria-keyshortcuts="Space"
          autoFocus
          onClick={() => {
            setShown(true);
          }}
        >
          {text.show} <kbd>{text.showHint}</kbd>
        </button>
      )}
      <ActionError summary={text.reviewFailed} detail={action.error} />
    </article>
  );
}

/** Review the class's due cards (space shows, 1–4 rate), see counts, generate more. */
export function FlashcardsTab({ classId }: { classId: string }) {
  const classes = useClasses();
  const loadDue = useCallback(() => dueFlashcards(classId), [classId]);
  const loadAll = useCallback(() => listFlashcards(classId), [classId]);
  const [due, dueControls] = useCommand(loadDue);
  const [all, allControls] = useCommand(loadAll);
  const refreshBoth = useCallback(() => {
    dueControls.refresh();
    allControls.refresh();
  }, [dueControls, allControls]);
  const text = strings.cards;
  const refreshClasses = classes.controls.refresh;

  // An edit, suspension or deletion in the list changes what is due.
  const onListChanged = useCallback(() => {
    dueControls.refresh();
    refreshClasses();
  }, [dueControls, refreshClasses]);

  const onReviewed = useCallback(() => {
    dueControls.update((old) => old.slice(1));
    // The sidebar's due counts.
    refreshClasses();
  }, [dueControls, refreshClasses]);

  return (
    <div className="study">
      <GenerateBar classId={classId} kind="cards" onFinished={refreshBoth} />
      <p className="muted" data-testid="card-counts">
        {due.status === "ready" && text.due(due.value.length)}
        {all.status === "ready" && ` · ${text.total(all.value.length)}`}
      </p>
      <Loaded state={due} failed={text.loadFailed} onRetry={dueControls.retry}>
        {(cards) => {
          const card = cards[0];
          if (card !== undefined) return <Review key={card.id} card={card} onReviewed={onReviewed} />;
          const none = all.status === "ready" && all.value.length === 0;
          return (
            <Empty>
              <p data-testid="cards-empty">{none ? text.empty : text.allDone}</p>
            </Empty>
          );
        }}
      </Loaded>
      <CardList classId={classId} cards={all} controls={allControls} onChanged={onListChanged} />
    </div>
  );
}
