/**
 * A fake shell for UI tests: answers every command of docs/ipc.md from in-memory data, as the
 * Rust side would, and lets a test make any command hang (loading) or fail (error).
 */
import { emit } from "@tauri-apps/api/event";
import { clearMocks, mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import type {
  AppInfo,
  AskStarted,
  AttemptResultView,
  ClassSummary,
  CommandError,
  ConversationSummary,
  ConversationView,
  Diagnostics,
  DocumentDetail,
  FlashcardView,
  ImportReport,
  InputDevice,
  JobSummary,
  LectureDetail,
  LectureSummary,
  ModelSummary,
  NoteView,
  ProfileSummary,
  QuizAttemptSummary,
  QuizSummary,
  QuizView,
  RecordingState,
  SearchResultView,
  Settings,
  ShellEvents,
  TranscriptSegmentView,
} from "../api";

const T0 = Date.UTC(2026, 10, 20, 9, 0);

/** Everything the fake shell knows. Tests change it freely before rendering. */
export interface FakeData {
  appInfo: AppInfo;
  profiles: ProfileSummary[];
  classes: ClassSummary[];
  lectures: LectureDetail[];
  documents: DocumentDetail[];
  transcripts: Record<string, TranscriptSegmentView[]>;
  jobs: JobSummary[];
  devices: InputDevice[];
  searchResults: SearchResultView[];
  conversations: ConversationView[];
  notes: NoteView[];
  quizzes: QuizSummary[];
  quizViews: QuizView[];
  /** The right answer of each question, by question id (choice index or text). */
  quizAnswers: Record<string, string>;
  history: QuizAttemptSummary[];
  cards: FlashcardView[];
  settings: Settings;
  models: ModelSummary[];
  diagnostics: Diagnostics;
  /** What `import_paths` reports. */
  importReport: ImportReport | null;
}

const bio = "class-bio";
const lectureId = "lecture-cells";
const documentId = "doc-slides";

const models: ModelSummary[] = [
  {
    id: "whisper-tiny.en",
    name: "Whisper tiny.en",
    role: "stt",
    description: "English speech recognition, fast on any laptop.",
    sizeBytes: 77_704_698,
    presence: "installed",
    problem: null,
  },
  {
    id: "smollm2-135m",
    name: "SmolLM2 135M Instruct",
    role: "llm",
    description: "A tiny chat model for answers, notes and quizzes.",
    sizeBytes: 98_000_000,
    presence: "installed",
    problem: null,
  },
  {
    id: "piper-joe",
    name: "Piper Joe (medium)",
    role: "tts",
    description: "An American English voice.",
    sizeBytes: 63_500_000,
    presence: "incomplete",
    problem: "en_US-joe-medium.onnx: wrong size (5 bytes, expected 63500000)",
  },
];

const reviewChoices: FlashcardView["choices"] = [
  { rating: 1, label: "again", due: T0 + 60_000, intervalMs: 60_000 },
  { rating: 2, label: "hard", due: T0 + 600_000, intervalMs: 600_000 },
  { rating: 3, label: "good", due: T0 + 86_400_000, intervalMs: 86_400_000 },
  { rating: 4, label: "easy", due: T0 + 4 * 86_400_000, intervalMs: 4 * 86_400_000 },
];

/** A card in review, due now; tests set its sides. */
function reviewCard(id: string, classId: string): FlashcardView {
  return { id, classId, front: "", back: "", citations: [], state: "review", due: T0, reps: 3, lapses: 0, suspended: false, choices: reviewChoices };
}

/** A class with lectures, documents, notes, quizzes, due cards and a conversation. */
export function fullData(): FakeData {
  const segments: TranscriptSegmentView[] = [
    "Today we look at the cell membrane and how things cross it.",
    "The membrane is a phospholipid bilayer with proteins floating in it.",
    "Small uncharged molecules diffuse straight through; ions need channels.",
    "Osmosis is the diffusion of water across a semi-permeable membrane.",
    "Active transport uses ATP to pump ions against their gradient.",
  ].map((text, index) => ({
    id: `seg-${String(index + 1)}`,
    lectureId,
    startMs: index * 6000,
    endMs: index * 6000 + 6000,
    text,
    speaker: null,
  }));
  return {
    appInfo: { version: "0.1.0", dataDir: "/home/sam/.local/share/littlemonster", modelsDir: "/home/sam/.local/share/littlemonster/models" },
    profiles: [
      { id: "profile-sam", name: "Sam", createdAt: T0, active: true },
      { id: "profile-alex", name: "Alex", createdAt: T0, active: false },
    ],
    classes: [
      { id: bio, name: "Biology", lectureCount: 2, documentCount: 1, dueCards: 2, totalCards: 2, createdAt: T0 },
      { id: "class-hist", name: "History", lectureCount: 0, documentCount: 0, dueCards: 0, totalCards: 0, createdAt: T0 },
    ],
    lectures: [
      {
        id: lectureId,
        classId: bio,
        title: "Cells and membranes",
        durationMs: 30_000,
        status: "indexed",
        createdAt: T0,
        updatedAt: T0,
        mediaUrl: "data:audio/wav;base64,UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA=",
      },
      {
        id: "lecture-mito",
        classId: bio,
        title: "Mitochondria",
        durationMs: null,
        status: "transcribing",
        createdAt: T0 + 86_400_000,
        updatedAt: T0 + 86_400_000,
        mediaUrl: "",
      },
    ],
    documents: [
      {
        id: documentId,
        classId: bio,
        title: "Week 1 slides",
        kind: "pdf",
        mime: "application/pdf",
        pageCount: 3,
        createdAt: T0,
        fileUrl: "asset://localhost/slides.pdf",
        pages: [
          { number: 1, text: "Week 1: The cell" },
          { number: 2, text: "Membranes are selectively permeable. Osmosis moves water toward higher solute concentration." },
          { number: 3, text: "" },
        ],
      },
    ],
    transcripts: { [lectureId]: segments, "lecture-mito": [] },
    jobs: [
      {
        id: "job-transcribe",
        kind: "transcribe",
        subject: "Mitochondria",
        subjectId: "lecture-mito",
        status: "running",
        percent: 42,
        secondsProcessed: 750,
        message: "12:30 of 30:00",
        error: null,
        classId: bio,
        attempts: 1,
        maxAttempts: 3,
        createdAt: T0,
        updatedAt: T0 + 2000,
      },
      {
        id: "job-failed",
        kind: "index",
        subject: "Old notes.docx",
        subjectId: "doc-old-notes",
        status: "failed",
        percent: 10,
        secondsProcessed: null,
        message: null,
        error: "The embedding model is missing.",
        classId: bio,
        attempts: 3,
        maxAttempts: 3,
        createdAt: T0,
        updatedAt: T0 + 1000,
      },
    ],
    devices: [
      { name: "default", description: "Built-in microphone", isDefault: true },
      { name: "hw:1,0", description: "USB headset", isDefault: false },
    ],
    searchResults: [
      {
        chunkId: "chunk-1",
        classId: bio,
        sourceKind: "lecture",
        label: "Cells and membranes @ 0:18",
        locator: { kind: "lectureSpan", lectureId, startMs: 18_000, endMs: 24_000 },
        snippet: "Osmosis is the diffusion of water across a semi-permeable membrane.",
        snippetHtml: "<b>Osmosis</b> is the diffusion of water across a semi-permeable membrane.",
        score: 0.03,
      },
      {
        chunkId: "chunk-2",
        classId: bio,
        sourceKind: "document",
        label: "Week 1 slides p. 2",
        locator: { kind: "documentPage", documentId, page: 2 },
        snippet: "Osmosis moves water <i>toward</i> higher solute & more.",
        // Escaped markup in the text must come out as text, never as HTML.
        snippetHtml: "<b>Osmosis</b> moves water &lt;i&gt;toward&lt;/i&gt; higher solute &amp; more.",
        score: 0.02,
      },
    ],
    conversations: [
      {
        id: "conv-1",
        classId: bio,
        title: "What is osmosis?",
        createdAt: T0,
        updatedAt: T0,
        messages: [
          { id: "m1", role: "user", content: "What is osmosis?", citations: [], createdAt: T0 },
          {
            id: "m2",
            role: "assistant",
            content: "Osmosis is the diffusion of water across a semi-permeable membrane [1], toward the side with more solute [2].",
            citations: [
              {
                marker: 1,
                label: "Cells and membranes @ 0:18",
                chunkId: "chunk-1",
                locator: { kind: "lectureSpan", lectureId, startMs: 18_000, endMs: 24_000 },
              },
              { marker: 2, label: "Week 1 slides p. 2", chunkId: "chunk-2", locator: { kind: "documentPage", documentId, page: 2 } },
            ],
            createdAt: T0,
          },
        ],
      },
    ],
    notes: [
      {
        id: "note-1",
        classId: bio,
        scope: { kind: "class", classId: bio },
        title: "Cells and membranes",
        citations: [],
        createdAt: T0,
        markdown: "# Membranes\n\n- **Bilayer** of phospholipids\n- Osmosis: water follows solute\n\n<script>window.hacked = true</script>",
        updatedAt: T0,
      },
    ],
    quizzes: [{ id: "quiz-1", classId: bio, title: "Membranes", questionCount: 2, bestScore: 0.5, attempts: 1, createdAt: T0 }],
    quizViews: [
      {
        id: "quiz-1",
        classId: bio,
        title: "Membranes",
        questions: [
          { id: "q1", kind: "multiple_choice", prompt: "What moves across a membrane in osmosis?", choices: ["Ions", "Water", "ATP"] },
          { id: "q2", kind: "short_answer", prompt: "What does active transport use for energy?", choices: [] },
        ],
      },
    ],
    quizAnswers: { q1: "1", q2: "ATP" },
    history: [{ id: "attempt-1", quizId: "quiz-1", quizTitle: "Membranes", score: 0.5, finishedAt: T0 }],
    cards: [
      { ...reviewCard("card-1", bio), front: "What is osmosis?", back: "Diffusion of water across a semi-permeable membrane." },
      { ...reviewCard("card-2", bio), front: "What powers active transport?", back: "ATP." },
    ],
    settings: { threads: null, whisperModel: "whisper-tiny.en", llmModel: "smollm2-135m", voice: "piper-joe" },
    models,
    diagnostics: {
      app: { version: "0.1.0", dataDir: "/home/sam/.local/share/littlemonster", modelsDir: "/home/sam/.local/share/littlemonster/models" },
      platform: "linux x86_64",
      workers: [
        { name: "lm-stt-worker", path: "/opt/littlemonster/lm-stt-worker", found: true },
        { name: "lm-llm-worker", path: "/opt/littlemonster/lm-llm-worker", found: false },
      ],
      models,
      profile: "Sam",
      jobRunner: "running",
      logLines: ["INFO app started", "WARN lm-llm-worker not found"],
    },
    importReport: null,
  };
}

/** A profile with one class and nothing in it. */
export function emptyData(): FakeData {
  const data = fullData();
  return {
    ...data,
    classes: [{ id: bio, name: "Biology", lectureCount: 0, documentCount: 0, dueCards: 0, totalCards: 0, createdAt: T0 }],
    lectures: [],
    documents: [],
    transcripts: {},
    jobs: [],
    searchResults: [],
    conversations: [],
    notes: [],
    quizzes: [],
    quizViews: [],
    history: [],
    cards: [],
  };
}

/** A job that has just finished (tests change what they need). */
export function finishedJob(id: string, kind: string): JobSummary {
  return {
    id,
    kind,
    subject: null,
    subjectId: null,
    status: "done",
    percent: 100,
    secondsProcessed: null,
    message: null,
    error: null,
    classId: "class-bio",
    attempts: 1,
    maxAttempts: 3,
    createdAt: Date.UTC(2027, 0, 1),
    updatedAt: Date.UTC(2027, 0, 1),
  };
}

/** A command's arguments as the UI sent them. */
export type Args = Record<string, unknown>;
/** A replacement for one command. */
export type Override = (args: Args) => unknown;

/** A command that never answers (the screen stays "loading"). */
export const hang: Override = () => new Promise(() => undefined);

/** A rejection as the shell sends it: a plain `CommandError` object, not an `Error`. */
export function rejection(message: string, kind: CommandError["kind"] = "internal"): Promise<never> {
  const error: CommandError = { kind, message };
  // Tauri rejects with the command's serialized error, so the fake must too.
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
  return Promise.reject(error);
}

/** A command that fails with `message`. */
export function fail(message: string, kind: CommandError["kind"] = "internal"): Override {
  return () => rejection(message, kind);
}

/** The calls the UI made, in order. */
export interface ShellLog {
  calls: { command: string; args: Args }[];
  /** The arguments of every call of `command`. */
  argsOf: (command: string) => Args[];
}

function str(args: Args, key: string): string {
  const value = args[key];
  if (typeof value !== "string") throw new Error(`missing string argument ${key}`);
  return value;
}

/** The transcript holding segment `id`, and where in it the segment is. */
function segmentAt(data: FakeData, id: string) {
  for (const [lectureId, list] of Object.entries(data.transcripts)) {
    const index = list.findIndex((item) => item.id === id);
    const segment = list[index];
    if (segment !== undefined) return { lectureId, list, index, segment };
  }
  throw new Error(`no segment ${id}`);
}

function recording(paused: boolean): RecordingState {
  return { lectureId: "lecture-rec", classId: bio, title: "Lecture", elapsedMs: 5000, paused, liveTranscript: true };
}

/** Installs the fake shell (commands and events) for the page; `overrides` win over `data`. */
export function installShell(data: FakeData, overrides: Record<string, Override> = {}): ShellLog {
  const calls: ShellLog["calls"] = [];
  const handlers: Record<string, Override> = {
    app_info: () => data.appInfo,
    diagnostics: () => data.diagnostics,
    list_profiles: () => data.profiles,
    create_profile: (args) => {
      const profile: ProfileSummary = { id: `profile-${String(data.profiles.length + 1)}`, name: str(args, "name"), createdAt: T0, active: true };
      data.profiles = [...data.profiles.map((other) => ({ ...other, active: false })), profile];
      return profile;
    },
    switch_profile: (args) => {
      data.profiles = data.profiles.map((profile) => ({ ...profile, active: profile.id === args.profileId }));
      return data.profiles.find((profile) => profile.active);
    },
    list_classes: () => data.classes,
    create_class: (args) => {
      const created: ClassSummary = {
        id: `class-${String(data.classes.length + 1)}`,
        name: str(args, "name"),
        lectureCount: 0,
        documentCount: 0,
        dueCards: 0,
        totalCards: 0,
        createdAt: T0,
      };
      data.classes = [...data.classes, created];
      return created;
    },
    rename_class: (args) => {
      data.classes = data.classes.map((item) => (item.id === args.classId ? { ...item, name: str(args, "name") } : item));
      return data.classes.find((item) => item.id === args.classId);
    },
    delete_class: (args) => {
      data.classes = data.classes.filter((item) => item.id !== args.classId);
      return null;
    },
    list_lectures: (args) => data.lectures.filter((item) => item.classId === args.classId),
    list_documents: (args) => data.documents.filter((item) => item.classId === args.classId),
    delete_lecture: () => null,
    delete_document: () => null,
    import_paths: (args): ImportReport =>
      data.importReport ?? {
        classId: str(args, "classId"),
        files: (args.paths as string[]).map((path) => ({
          path,
          status: "imported",
          itemKind: "lecture",
          itemId: "new",
          title: null,
          jobId: null,
          notices: [],
          error: null,
        })),
        imported: (args.paths as string[]).length,
        failed: 0,
      },
    list_jobs: () => data.jobs,
    cancel_job: () => null,
    retry_job: () => null,
    get_lecture: (args) => {
      const found = data.lectures.find((item) => item.id === args.lectureId);
      return found ?? rejection("That lecture no longer exists.", "notFound");
    },
    get_transcript: (args) => data.transcripts[str(args, "lectureId")] ?? [],
    edit_segment: (args) => {
      const { lectureId: owner, list, index, segment } = segmentAt(data, str(args, "segmentId"));
      const edited = { ...segment, text: str(args, "text") };
      data.transcripts[owner] = list.map((item, at) => (at === index ? edited : item));
      return edited;
    },
    split_segment: (args) => {
      // As the core does: the time is interpolated by characters (Unicode, not UTF-16).
      const { lectureId: owner, list, index, segment } = segmentAt(data, str(args, "segmentId"));
      const chars = Array.from(segment.text);
      const at = args.atChar as number;
      const head = chars.slice(0, at).join("").trim();
      const tail = chars.slice(at).join("").trim();
      if (at <= 0 || head === "" || tail === "") return rejection("A split needs text on both sides.", "invalidInput");
      const atMs = segment.startMs + Math.floor(((segment.endMs - segment.startMs) * at) / chars.length);
      const parts = [
        { ...segment, id: `${segment.id}a`, endMs: atMs, text: head },
        { ...segment, id: `${segment.id}b`, startMs: atMs, text: tail },
      ];
      data.transcripts[owner] = [...list.slice(0, index), ...parts, ...list.slice(index + 1)];
      return data.transcripts[owner];
    },
    merge_segments: (args) => {
      const { lectureId: owner, list, index, segment } = segmentAt(data, str(args, "firstId"));
      const second = list[index + 1];
      if (second === undefined || second.id !== args.secondId) return rejection("Only neighbouring segments can be merged.", "invalidInput");
      const merged = { ...segment, id: `${segment.id}+${second.id}`, endMs: Math.max(segment.endMs, second.endMs), text: `${segment.text} ${second.text}` };
      data.transcripts[owner] = [...list.slice(0, index), merged, ...list.slice(index + 2)];
      return data.transcripts[owner];
    },
    export_transcript: (args) => str(args, "path"),
    list_input_devices: () => data.devices,
    recording_state: () => null,
    start_recording: (args): RecordingState => ({
      lectureId: "lecture-rec",
      classId: str(args, "classId"),
      title: str(args, "title"),
      elapsedMs: 0,
      paused: false,
      liveTranscript: true,
    }),
    pause_recording: () => recording(true),
    resume_recording: () => recording(false),
    stop_recording: (): LectureSummary => ({ id: "lecture-rec", classId: bio, title: "Lecture", status: "imported", durationMs: 5000, createdAt: T0, updatedAt: T0 }),
    get_document: (args) => data.documents.find((item) => item.id === args.documentId),
    search: () => data.searchResults,
    list_conversations: (args): ConversationSummary[] =>
      data.conversations
        .filter((item) => item.classId === args.classId)
        .map((item) => ({ id: item.id, classId: item.classId, title: item.title, createdAt: item.createdAt, updatedAt: item.updatedAt })),
    get_conversation: (args) => data.conversations.find((item) => item.id === args.conversationId),
    ask: (args): AskStarted => ({ requestId: "req-1", conversationId: (args.conversationId as string | null) ?? "conv-new" }),
    stop_answer: () => null,
    rename_conversation: (args) => {
      data.conversations = data.conversations.map((item) => (item.id === args.conversationId ? { ...item, title: str(args, "title") } : item));
      return null;
    },
    delete_conversation: (args) => {
      data.conversations = data.conversations.filter((item) => item.id !== args.conversationId);
      return null;
    },
    list_notes: (args) => data.notes.filter((item) => item.classId === args.classId),
    generate_notes: () => "job-notes",
    save_note: (args) => {
      data.notes = data.notes.map((note) => (note.id === args.noteId ? { ...note, markdown: str(args, "markdown") } : note));
      return data.notes.find((note) => note.id === args.noteId);
    },
    generate_quiz: () => "job-quiz",
    list_quizzes: (args) => data.quizzes.filter((item) => item.classId === args.classId),
    get_quiz: (args) => data.quizViews.find((item) => item.id === args.quizId),
    submit_quiz: (args): AttemptResultView | Promise<never> => {
      const quiz = data.quizViews.find((item) => item.id === args.quizId);
      if (quiz === undefined) return rejection("No such quiz.", "notFound");
      const answers = args.answers as string[];
      const feedback = quiz.questions.map((question, index) => {
        const given = answers[index] ?? "";
        const answer = data.quizAnswers[question.id] ?? "";
        const correct = given.trim().toLowerCase() === answer.toLowerCase();
        return { questionId: question.id, prompt: question.prompt, choices: question.choices, given, answer, correct, explanation: "" };
      });
      const correct = feedback.filter((item) => item.correct).length;
      return { attemptId: "attempt-2", quizId: quiz.id, score: correct / feedback.length, correct, total: feedback.length, feedback };
    },
    quiz_history: (args) => data.history.filter((item) => data.quizzes.some((quiz) => quiz.id === item.quizId && quiz.classId === args.classId)),
    generate_flashcards: () => "job-cards",
    // Only `due_flashcards` answers with review choices, as the shell does.
    list_flashcards: (args) => data.cards.filter((item) => item.classId === args.classId).map((card) => ({ ...card, choices: [] })),
    due_flashcards: (args) => data.cards.filter((item) => item.classId === args.classId && !item.suspended),
    review_flashcard: (args) => {
      const card = data.cards.find((item) => item.id === args.cardId);
      if (card === undefined) return rejection("That card no longer exists.", "notFound");
      data.cards = data.cards.filter((item) => item.id !== args.cardId);
      return { ...card, due: T0 + 86_400_000, choices: [] };
    },
    edit_flashcard: (args) => {
      const card = data.cards.find((item) => item.id === args.cardId);
      if (card === undefined) return rejection("That card no longer exists.", "notFound");
      // The shell answers without review choices.
      const edited = { ...card, front: str(args, "front"), back: str(args, "back") };
      data.cards = data.cards.map((item) => (item.id === card.id ? edited : item));
      return { ...edited, choices: [] };
    },
    suspend_flashcard: (args) => {
      data.cards = data.cards.map((item) => (item.id === args.cardId ? { ...item, suspended: args.suspended === true } : item));
      return null;
    },
    delete_flashcard: (args) => {
      data.cards = data.cards.filter((item) => item.id !== args.cardId);
      return null;
    },
    import_flashcards_csv: (args) => {
      const imported = { ...reviewCard("card-csv", str(args, "classId")), front: "What is ATP?", back: "The cell's energy currency." };
      data.cards = [...data.cards, imported];
      return 1;
    },
    export_flashcards_csv: (args) => data.cards.filter((item) => item.classId === args.classId).length,
    read_aloud: () => "speech-1",
    stop_read_aloud: () => null,
    get_settings: () => data.settings,
    save_settings: (args) => {
      data.settings = args.settings as Settings;
      return data.settings;
    },
    list_models: () => data.models,
    verify_models: () => data.models,
    import_model_file: () => data.models[0],
  };

  mockWindows("main");
  mockIPC(
    (command, payload) => {
      const args = (payload ?? {}) as Args;
      calls.push({ command, args });
      const handler = overrides[command] ?? handlers[command];
      if (handler === undefined) throw new Error(`the fake shell has no command ${command}`);
      return handler(args);
    },
    { shouldMockEvents: true },
  );
  return { calls, argsOf: (command) => calls.filter((call) => call.command === command).map((call) => call.args) };
}

/** Sends a shell event to the page. */
export async function fire<E extends keyof ShellEvents>(event: E, payload: ShellEvents[E]): Promise<void> {
  await emit(event, payload);
}

/** Files dragged over the window, as Tauri reports them. */
export async function dragOver(): Promise<void> {
  await emit("tauri://drag-over", { position: { x: 5, y: 5 } });
}

/** Files dragged away from the window again. */
export async function dragLeave(): Promise<void> {
  await emit("tauri://drag-leave", {});
}

/** Files dropped on the window, as Tauri reports them. */
export async function dropFiles(paths: string[]): Promise<void> {
  await emit("tauri://drag-over", { position: { x: 10, y: 10 } });
  await emit("tauri://drag-drop", { paths, position: { x: 10, y: 10 } });
}

export { clearMocks };
