import { useClasses } from "../app/classes";
import { useNav } from "../app/nav";
import { Empty, Loaded } from "../components/common";
import { strings } from "../strings";

/** The start page: the classes as cards, with what is due. */
export function Home() {
  const classes = useClasses();
  const { navigate } = useNav();
  return (
    <>
      <header className="page-header">
        <h1>{strings.home.heading}</h1>
        <p className="muted">{strings.home.intro}</p>
        <p className="muted small">{strings.offline}</p>
      </header>
      <Loaded state={classes.state} failed={strings.classes.loadFailed} onRetry={classes.controls.retry}>
        {(list) =>
          list.length === 0 ? (
            <Empty>
              <p>{strings.classes.empty}</p>
              <p className="muted">{strings.classes.emptyHint}</p>
            </Empty>
          ) : (
            <ul className="class-cards">
              {list.map((item) => (
                <li key={item.id}>
                  <button
                    type="button"
                    className="class-card"
                    onClick={() => {
                      navigate({ page: "class", classId: item.id, tab: item.dueCards > 0 ? "flashcards" : "lectures" });
                    }}
                  >
                    <span className="class-card-name">{item.name}</span>
                    <span className="muted small">{strings.classes.counts(item.lectureCount, item.documentCount)}</span>
                    {item.dueCards > 0 && <span className="due-pill">{strings.classes.due(item.dueCards)}</span>}
                  </button>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </>
  );
}
