import appIcon from "../../assets/icons/128x128.png";
import { Installation } from "./Installation";
import { Models } from "./Models";
import { strings } from "./strings";

function Sidebar() {
  return (
    <nav className="sidebar" aria-labelledby="classes-heading">
      <div className="brand">
        <img className="brand-mark" src={appIcon} alt="" />
        <div>
          <p className="brand-name">{strings.appName}</p>
          <p className="brand-tagline">{strings.tagline}</p>
        </div>
      </div>
      <h2 id="classes-heading" className="sidebar-heading">
        {strings.classes.heading}
      </h2>
      <div className="empty">
        <p>{strings.classes.empty}</p>
        <p className="muted">{strings.classes.emptyHint}</p>
      </div>
    </nav>
  );
}

/** The app's first screen: classes on the left, the home page on the right. */
export function App() {
  return (
    <div className="layout">
      <a className="skip-link" href="#main">
        {strings.skipToContent}
      </a>
      <Sidebar />
      <main id="main" tabIndex={-1}>
        <header className="page-header">
          <h1>{strings.home.heading}</h1>
          <p className="muted">{strings.home.intro}</p>
        </header>
        <Installation />
        <Models />
      </main>
    </div>
  );
}
