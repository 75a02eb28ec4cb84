import { useCallback, useEffect, useMemo, useState } from "react";
import { listClasses, listProfiles, onLibraryChanged } from "./api";
import { ClassesContext } from "./app/classes";
import { ImporterProvider } from "./app/importer";
import { JobsProvider } from "./app/jobs";
import { NavContext, rememberedPlace, rememberPlace, routeClassId, type Route } from "./app/nav";
import { ThemeProvider } from "./app/theme";
import { Loaded } from "./components/common";
import { DropImport } from "./components/DropImport";
import { JobsPanel } from "./components/JobsPanel";
import { Sidebar } from "./components/Sidebar";
import { ClassPage } from "./screens/ClassPage";
import { DocumentPage } from "./screens/DocumentPage";
import { Home } from "./screens/Home";
import { LecturePage } from "./screens/LecturePage";
import { Onboarding } from "./screens/Onboarding";
import { RecordPage } from "./screens/RecordPage";
import { SearchPage } from "./screens/SearchPage";
import { SettingsPage } from "./screens/SettingsPage";
import { strings } from "./strings";
import "./styles.css";
import { useCommand, useEvent } from "./useCommand";

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "home":
      return <Home />;
    case "class":
      return <ClassPage key={route.classId} classId={route.classId} tab={route.tab} />;
    case "lecture":
      return <LecturePage key={route.lectureId} lectureId={route.lectureId} atMs={route.atMs} />;
    case "document":
      return <DocumentPage key={route.documentId} documentId={route.documentId} pageNumber={route.pageNumber} />;
    case "record":
      return <RecordPage classId={route.classId} />;
    case "search":
      return <SearchPage key={route.query} initialQuery={route.query} />;
    case "settings":
      return <SettingsPage />;
  }
}

/** The app once a profile and a class exist: sidebar, the current page, jobs and drops. */
function Shell({ firstClassId, classIds }: { firstClassId: string | null; classIds: readonly string[] }) {
  const [classesState, classesControls] = useCommand(listClasses);
  const classes = useMemo(() => ({ state: classesState, controls: classesControls }), [classesState, classesControls]);
  // After onboarding, the new class is the place to start.
  // After a restart, the place the student left.
  const [route, setRoute] = useState<Route>(() =>
    firstClassId === null ? rememberedPlace(classIds) : { page: "class", classId: firstClassId, tab: "lectures" },
  );
  // Files dropped on a lecture or document page go to the class last shown.
  const [lastClassId, setLastClassId] = useState<string | null>(() => firstClassId ?? routeClassId(route));

  useEffect(() => {
    rememberPlace(route, lastClassId);
  }, [route, lastClassId]);
  const [jobsOpen, setJobsOpen] = useState(false);

  const navigate = useCallback((next: Route) => {
    setRoute(next);
    const classId = routeClassId(next);
    if (classId !== null) setLastClassId(classId);
    // Start the new page at its top, with focus on it for keyboard and screen-reader users.
    window.scrollTo(0, 0);
    document.getElementById("main")?.focus({ preventScroll: true });
  }, []);
  const nav = useMemo(() => ({ route, navigate }), [route, navigate]);

  // Counts and due cards change as imports finish.
  useEvent(onLibraryChanged, () => {
    classesControls.refresh();
  });

  return (
    <NavContext.Provider value={nav}>
      <ClassesContext.Provider value={classes}>
        <ImporterProvider>
        <div className={jobsOpen ? "layout with-jobs" : "layout"}>
          <a className="skip-link" href="#main">
            {strings.skipToContent}
          </a>
          <Sidebar
            jobsOpen={jobsOpen}
            onToggleJobs={() => {
              setJobsOpen((open) => !open);
            }}
          />
          <main id="main" tabIndex={-1}>
            <DropImport classId={routeClassId(route) ?? lastClassId} />
            <Page route={route} />
          </main>
          {jobsOpen && (
            <JobsPanel
              onClose={() => {
                setJobsOpen(false);
              }}
            />
          )}
        </div>
        </ImporterProvider>
      </ClassesContext.Provider>
    </NavContext.Provider>
  );
}

/** Decides between first-run onboarding and the app, once, when the app starts. */
function Start() {
  const load = useCallback(async () => {
    const profiles = await listProfiles();
    if (!profiles.some((profile) => profile.active)) return { hasProfile: false, classIds: [] };
    const classes = await listClasses();
    return { hasProfile: true, classIds: classes.map((item) => item.id) };
  }, []);
  const [start, { retry }] = useCommand(load);
  // When the first screen can be used: scripts/bench's `app` section times cold start by it.
  useEffect(() => {
    if (start.status === "ready" && performance.getEntriesByName("lm-ready").length === 0) performance.mark("lm-ready");
  }, [start.status]);
  // The class onboarding created, once it has run.
  const [onboarded, setOnboarded] = useState<string | null>(null);

  return (
    <Loaded state={start} failed={strings.startFailed} onRetry={retry}>
      {(found) =>
        onboarded !== null || (found.hasProfile && found.classIds.length > 0) ? (
          <JobsProvider>
            <Shell firstClassId={onboarded} classIds={found.classIds} />
          </JobsProvider>
        ) : (
          <Onboarding
            needsProfile={!found.hasProfile}
            onDone={setOnboarded}
          />
        )
      }
    </Loaded>
  );
}

/** The whole app. */
export function App() {
  return (
    <ThemeProvider>
      <Start />
    </ThemeProvider>
  );
}
