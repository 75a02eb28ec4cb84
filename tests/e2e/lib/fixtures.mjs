// Test material made at run time: a spoken lecture (espeak-ng + sox) and a PDF with known text
// on known pages, so nothing binary is committed and every fact the tests check is known here.

import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { withApp } from "./app.mjs";

/**
 * The lecture the tests import: a little over two minutes, which Whisper tiny.en transcribes in
 * well under a minute. Search indexes a transcript in passages of about 220 words
 * (lm_core::chunking), so the phrase comes after the first passage: opening its hit must then
 * move the player away from 0:00.
 */
export const LECTURE = {
  title: "Cell biology",
  sentences: [
    "Welcome to today's lecture on cell biology.",
    "Every living thing is made of cells, and every cell comes from another cell.",
    "Some organisms are a single cell, like bacteria and yeast, while our own bodies hold many trillions of them.",
    "Today we will walk through the main parts of a cell and what each part does.",
    "The mitochondria produce most of the energy a cell needs, in the form of a molecule called ATP.",
    "A busy muscle cell can hold thousands of mitochondria, because moving takes a lot of energy.",
    "The nucleus holds the genetic material of the cell, which is stored as long molecules of DNA.",
    "When a gene is read, the cell copies it into a messenger molecule that leaves the nucleus.",
    "Ribosomes read these messages and join amino acids together, one after another, to build proteins.",
    "Many ribosomes sit on a folded system of membranes called the endoplasmic reticulum.",
    "New proteins travel from there to the Golgi apparatus, which sorts them, packs them and sends them on.",
    "Small bags called lysosomes contain enzymes that break down worn out parts and food particles.",
    "A network of protein fibres, the cytoskeleton, gives the cell its shape and lets it move things around.",
    "Some cells use long whip like tails or short hairs on their surface to swim or to sweep fluid past them.",
    "The inside of the cell is filled with a watery gel called the cytoplasm, where many reactions take place.",
    "Animal cells and plant cells share most of these parts, but there are some important differences.",
    "Plant cells have a rigid cell wall made of cellulose around the outside.",
    "They also have a large central vacuole, filled with water, which helps to keep the plant upright.",
    "Plants also have chloroplasts, which capture the energy of sunlight through photosynthesis.",
    "The cell membrane controls which substances enter and leave the cell.",
    "Next week we will look at how cells divide.",
  ],
  /** A word of one sentence only, near the end, which Whisper tiny.en spells right. */
  phrase: "photosynthesis",
};

/** The PDF the tests import: two pages, a distinctive word on the second. */
export const HANDOUT = {
  title: "Osmosis handout",
  pages: [
    ["Osmosis handout", "Water moves across a membrane from low to high solute concentration."],
    ["Turgor pressure", "Turgor pressure keeps plant cells firm when their vacuoles are full of water."],
  ],
  phrase: "Turgor pressure",
  phrasePage: 2,
};

/**
 * Speaks `sentences` into `<dir>/<name>.wav` (16 kHz mono 16-bit, what the transcriber expects)
 * and returns `{ path, durationSeconds }`.
 */
export function speakLecture(dir, name, sentences) {
  const text = join(dir, `${name}.txt`);
  const raw = join(dir, `${name}-espeak.wav`);
  const path = join(dir, `${name}.wav`);
  writeFileSync(text, sentences.join(" "));
  execFileSync("espeak-ng", ["-v", "en-us", "-s", "150", "-w", raw, "-f", text]);
  execFileSync("sox", [raw, "-r", "16000", "-c", "1", "-b", "16", path]);
  const durationSeconds = Number(execFileSync("soxi", ["-D", path]).toString().trim());
  return { path, durationSeconds };
}

/** PDF string literal escaping. */
function pdfString(text) {
  return `(${text.replace(/[\\()]/g, (c) => `\\${c}`)})`;
}

/**
 * Writes a PDF with one page per entry of `pages` (each a list of lines, Helvetica 12 pt, a real
 * text layer) and returns its path. Hand-written because it takes forty lines and no dependency.
 */
export function writePdf(path, title, pages) {
  const objects = [];
  const add = (body) => {
    objects.push(body);
    return objects.length;
  };
  const catalog = add(null);
  const pagesNode = add(null);
  const font = add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
  const pageIds = pages.map((lines) => {
    const content = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"];
    for (const line of lines) content.push(`${pdfString(line)} Tj T*`);
    content.push("ET");
    const stream = content.join("\n");
    const contents = add(`<< /Length ${Buffer.byteLength(stream, "latin1")} >>\nstream\n${stream}\nendstream`);
    return add(
      `<< /Type /Page /Parent ${pagesNode} 0 R /MediaBox [0 0 612 792] ` +
        `/Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${contents} 0 R >>`,
    );
  });
  objects[catalog - 1] = `<< /Type /Catalog /Pages ${pagesNode} 0 R >>`;
  objects[pagesNode - 1] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(" ")}] /Count ${pageIds.length} >>`;
  const info = add(`<< /Title ${pdfString(title)} >>`);

  let pdf = "%PDF-1.4\n";
  const offsets = objects.map((body, index) => {
    const offset = Buffer.byteLength(pdf, "latin1");
    pdf += `${index + 1} 0 obj\n${body}\nendobj\n`;
    return offset;
  });
  const xref = Buffer.byteLength(pdf, "latin1");
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) pdf += `${String(offset).padStart(10, "0")} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R /Info ${info} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  writeFileSync(path, pdf, "latin1");
  return path;
}

/** Makes the lecture WAV and the handout PDF in `dir`; returns `{ lecture, handout }` paths. */
export function makeClassMaterial(dir) {
  const lecture = speakLecture(dir, "cell-biology", LECTURE.sentences);
  const handout = writePdf(join(dir, "osmosis-handout.pdf"), HANDOUT.title, HANDOUT.pages);
  return { lecture, handout };
}

/**
 * Imports `paths` into `className` with the `littlemonster` CLI (the same core as the app) into
 * `dataDir`, transcribing and indexing before it returns. Tests whose subject is not the import
 * itself start from a library made this way.
 */
export function seedWithCli(dataDir, className, paths) {
  const cli = process.env.LM_CLI;
  if (!cli) throw new Error("LM_CLI is not set: run the end-to-end tests through scripts/e2e");
  return execFileSync(cli, ["import", ...paths, "--class", className, "--language", "en"], {
    env: { ...process.env, LITTLEMONSTER_DATA_DIR: dataDir },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 300_000,
  });
}

/** The class the seeded library holds. */
export const SEEDED_CLASS = "Biology";

/**
 * A fresh data dir holding a profile with the class {@link SEEDED_CLASS}: the lecture (transcribed)
 * and the handout, imported and indexed with the CLI. The library is made once per run (a run's
 * test files share `LM_E2E_WORK`) and copied for each test, so every test still starts from its
 * own data dir.
 */
export function seededDataDir() {
  const work = process.env.LM_E2E_WORK;
  if (!work) throw new Error("LM_E2E_WORK is not set: run the end-to-end tests through scripts/e2e");
  const template = join(work, "seeded-library");
  const complete = `${template}.complete`;
  if (!existsSync(complete)) {
    rmSync(template, { recursive: true, force: true });
    mkdirSync(template, { recursive: true });
    const material = join(work, "seeded-material");
    mkdirSync(material, { recursive: true });
    const { lecture, handout } = makeClassMaterial(material);
    seedWithCli(template, SEEDED_CLASS, [lecture.path, handout]);
    writeFileSync(complete, "");
  }
  const dataDir = mkdtempSync(join(work, "data-"));
  cpSync(template, dataDir, { recursive: true });
  return dataDir;
}

/** Runs `body(app)` against the app started on a fresh copy of the seeded library. */
export async function withSeededApp(name, body) {
  return withApp(name, body, { dataDir: seededDataDir() });
}
