// (a) First run: a fresh data dir shows the onboarding, which creates the student's profile and
// the first class.

import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { test } from "node:test";
import { invoke, screenshot, testId, waitForTestId, withApp } from "../lib/app.mjs";
import { onboard, waitForItemWithText } from "../lib/ui.mjs";

test("first run: onboarding creates the first class", { timeout: 120_000 }, async () => {
  await withApp("first-run", async ({ driver, dataDir }) => {
    assert.deepEqual(readdirSync(dataDir), [], "the test starts from an empty data dir");

    await waitForTestId(driver, "onboarding", 30_000);
    await screenshot(driver, "onboarding", { readme: true });
    await onboard(driver, "Ada", "Biology");
    await screenshot(driver, "first-class");

    // What the window shows is what the core stored: the student's profile, active, with the
    // new, empty class.
    const profiles = await invoke(driver, "list_profiles");
    assert.deepEqual(
      profiles.map((p) => [p.name, p.active]),
      [["Ada", true]],
      `one active profile: ${JSON.stringify(profiles)}`,
    );
    const classes = await invoke(driver, "list_classes");
    assert.deepEqual(
      classes.map((c) => [c.name, c.lectureCount, c.documentCount]),
      [["Biology", 0, 0]],
    );
    assert.ok(readdirSync(dataDir).length > 0, `the profile was written under ${dataDir}`);
  });
});

test("a second start skips the onboarding", { timeout: 120_000 }, async () => {
  let dataDir;
  await withApp("first-run-setup", async (app) => {
    dataDir = app.dataDir;
    await onboard(app.driver, "Grace", "History");
  });
  assert.ok(existsSync(dataDir));
  await withApp(
    "second-start",
    async ({ driver }) => {
      await waitForItemWithText(driver, "class-item", "History", 30_000);
      const onboarding = await driver.findElements(testId("onboarding"));
      assert.equal(onboarding.length, 0, "no onboarding once a profile and a class exist");
    },
    { dataDir },
  );
});
