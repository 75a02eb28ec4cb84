import { useState, type SyntheticEvent } from "react";
import appIcon from "../../../assets/icons/128x128.png";
import { createClass, createProfile } from "../api";
import { ActionError } from "../components/common";
import { strings } from "../strings";
import { useAction } from "../useCommand";

/** First run: a profile (when there is none) and a first class, and the promise of offline. */
export function Onboarding({ needsProfile, onDone }: { needsProfile: boolean; onDone: (classId: string) => void }) {
  const [profileName, setProfileName] = useState("");
  const [className, setClassName] = useState("");
  const action = useAction();
  const text = strings.onboarding;
  const ready = (!needsProfile || profileName.trim() !== "") && className.trim() !== "";

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    const created = await action.run(async () => {
      if (needsProfile) await createProfile(profileName.trim());
      return createClass(className.trim());
    });
    if (created !== undefined) onDone(created.id);
  };

  return (
    <main id="main" className="onboarding" tabIndex={-1}>
      <form className="card onboarding-card" onSubmit={(event) => void submit(event)} data-testid="onboarding">
        <img className="onboarding-mark" src={appIcon} alt="" />
        <h1>{text.heading}</h1>
        <p>{text.intro}</p>
        <p className="notice">{text.offline}</p>
        {needsProfile && (
          <label className="field">
            <span>{text.profileLabel}</span>
            <input
              data-testid="onboarding-profile"
              placeholder={text.profilePlaceholder}
              value={profileName}
              autoFocus
              onChange={(event) => {
                setProfileName(event.target.value);
              }}
            />
          </label>
        )}
        <label className="field">
          <span>{text.classLabel}</span>
          <input
            data-testid="onboarding-class"
            placeholder={text.classPlaceholder}
            value={className}
            autoFocus={!needsProfile}
            onChange={(event) => {
              setClassName(event.target.value);
            }}
          />
        </label>
        <button type="submit" className="primary" data-testid="onboarding-start" disabled={!ready || action.busy}>
          {text.start}
        </button>
        <ActionError summary={text.failed} detail={action.error} />
      </form>
    </main>
  );
}
