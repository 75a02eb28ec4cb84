// Steps through the UI by the test ids of ui/TESTIDS.md, shared by the specs.

import { By, Key } from "selenium-webdriver";
import { allByTestId, testId, waitFor, waitForTestId } from "./app.mjs";

/** Clicks the element with this test id once it is visible and enabled. */
export async function click(driver, id, timeoutMs) {
  const element = await waitForTestId(driver, id, timeoutMs);
  await waitFor(driver, () => element.isEnabled(), timeoutMs ?? 15_000, `data-testid="${id}" stays disabled`);
  await element.click();
  return element;
}

/** Replaces the text of the input with this test id; `submit` presses Enter afterwards. */
export async function type(driver, id, text, { submit = false } = {}) {
  const input = await waitForTestId(driver, id);
  await input.clear();
  await input.sendKeys(text, ...(submit ? [Key.ENTER] : []));
  return input;
}

/**
 * The text an element renders (`innerText`). Not WebDriver's Get Element Text: WebKitWebDriver
 * returns "" for the content of the list-entry buttons (`class-link`, `item-link`), although the
 * window shows it.
 */
export async function renderedText(driver, element) {
  return driver.executeScript("return arguments[0].innerText;", element);
}

/** The rendered texts of every element with this test id. */
export async function texts(driver, id) {
  return Promise.all((await allByTestId(driver, id)).map((element) => renderedText(driver, element)));
}

/**
 * Waits until some element with test id `id` has a text containing `text` (case-insensitive)
 * and returns it.
 */
export async function waitForItemWithText(driver, id, text, timeoutMs = 15_000) {
  const wanted = text.toLowerCase();
  const matching = async () => {
    for (const element of await driver.findElements(testId(id))) {
      try {
        if ((await renderedText(driver, element)).toLowerCase().includes(wanted)) return element;
      } catch {
        // re-rendered while we read it: look again
      }
    }
    return null;
  };
  try {
    return await waitFor(driver, matching, timeoutMs);
  } catch (error) {
    const seen = await texts(driver, id).catch(() => []);
    error.message = `no data-testid="${id}" containing "${text}" within ${timeoutMs} ms; seen: ${JSON.stringify(seen)}`;
    throw error;
  }
}

/** Opens the class called `name` from the sidebar, on tab `tab` when given. */
export async function openClass(driver, name, tab) {
  const item = await waitForItemWithText(driver, "class-item", name);
  // The class's button has no test id of its own: it is the class item's link button.
  await (await item.findElement(By.css("button.class-link"))).click();
  await waitForTestId(driver, "tab-lectures");
  if (tab) await click(driver, `tab-${tab}`);
}

/**
 * Goes through the first-run onboarding, which asks for the first class `className` only: the
 * shell creates the default profile at first start (see specs/01-first-run.test.mjs).
 */
export async function onboard(driver, profileName, className) {
  await waitForTestId(driver, "onboarding", 30_000);
  await type(driver, "onboarding-profile", profileName);
  await type(driver, "onboarding-class", className);
  await click(driver, "onboarding-start");
  await waitForItemWithText(driver, "class-item", className);
}
