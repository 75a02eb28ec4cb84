// (b) Import a spoken lecture and a PDF the way a drop does, see both in the class, and wait for
// the lecture's transcript. WebDriver cannot drop files: the class page's "Import files…" field
// hands its paths to the same importer a drop uses (`importFiles`, which calls `import_paths`).

import assert from "node:assert/strict";
import { test } from "node:test";
import { Key } from "selenium-webdriver";
import { allByTestId, invoke, scratchDir, screenshot, waitFor, waitForTestId, withApp } from "../lib/app.mjs";
import { LECTURE, makeClassMaterial } from "../lib/fixtures.mjs";
import { classNamed, waitForJobs } from "../lib/library.mjs";
import { click, onboard, openClass, texts, type, waitForItemWithText } from "../lib/ui.mjs";

test("import a lecture and a PDF, then read the transcript", { timeout: 300_000 }, async () => {
  const material = makeClassMaterial(scratchDir("material"));
  await withApp("import", async ({ driver }) => {
    await onboard(driver, "Ada", "Biology");
    await openClass(driver, "Biology");
    const biology = await classNamed(driver, "Biology");

    await click(driver, "import-button");
    // One path a line.
    const paths = await type(driver, "import-paths-input", material.lecture.path);
    await paths.sendKeys(Key.ENTER, material.handout);
    await click(driver, "import-paths-run");
    // Once `import_paths` has returned, the window shows one result per file, in the order given.
    await waitForTestId(driver, "import-result", 60_000);
    const results = await allByTestId(driver, "import-result");
    assert.deepEqual(
      await Promise.all(results.map((row) => row.getAttribute("data-status"))),
      ["imported", "imported"],
      `both files were imported: ${JSON.stringify(await texts(driver, "import-result"))}`,
    );
    const lectures = await invoke(driver, "list_lectures", { classId: biology.id });
    const documents = await invoke(driver, "list_documents", { classId: biology.id });
    assert.equal(lectures.length, 1, `one lecture: ${JSON.stringify(lectures)}`);
    assert.equal(documents.length, 1, `one document: ${JSON.stringify(documents)}`);
    const [lecture] = lectures;
    const [handout] = documents;

    // Both appear in the class without reloading: the lecture on the lectures tab...
    await waitForItemWithText(driver, "lecture-row", lecture.title);
    // ...and the PDF on the documents tab.
    await click(driver, "tab-documents");
    await waitForItemWithText(driver, "document-row", handout.title);
    assert.equal(handout.pageCount, 2, "the handout has two pages");

    // The transcription (and indexing) jobs finish, and the lecture says it is ready (indexed).
    await waitForJobs(driver, 240_000);
    await click(driver, "tab-lectures");
    const row = await waitForItemWithText(driver, "lecture-row", lecture.title);
    await waitFor(
      driver,
      async () => (await row.findElements({ css: ".badge-lecture-indexed" })).length > 0,
      30_000,
      "the lecture row does not show it is ready after its jobs finished",
    );
    await screenshot(driver, "class", { readme: true });

    // The transcript on the lecture page says what the lecture said.
    await (await row.findElement({ css: "button.item-link" })).click();
    const segment = await waitForItemWithText(driver, "transcript-segment", LECTURE.phrase, 30_000);
    assert.ok(segment);
    const transcript = (await invoke(driver, "get_transcript", { lectureId: lecture.id }))
      .map((s) => s.text)
      .join(" ")
      .toLowerCase();
    for (const word of ["mitochondria", "photosynthesis", "membrane"]) {
      assert.ok(transcript.includes(word), `"${word}" is in the transcript: ${transcript}`);
    }
    await waitForTestId(driver, "lecture-audio");
    await screenshot(driver, "lecture", { readme: true });
  });
});
