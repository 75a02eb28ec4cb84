//! The knowledge pipeline end to end, through the `littlemonster` binary: documents built at
//! test time (PDF, DOCX) and espeak lectures transcribed by whisper tiny.en are imported,
//! chunked, embedded (all-MiniLM-L6-v2) and indexed by the real job queue; then search recall,
//! grounded chat with SmolLM2-135M, deletion, and a SIGKILL in the middle of indexing.
#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use lm_core::chat::{ChatService, ChatSettings, NOTHING_FOUND};
use lm_core::library::{Library, LibraryRoot};
use lm_core::store::{ChunkSource, LectureStatus, SourceLocator};
use lm_core::workers::llm::WorkerLlm;
use lm_documents::fixtures::{self, DocxParagraph, PdfPage};
use lm_embed::{DIMENSIONS, FastEmbedder, FastEmbedderOptions, MODEL_ID};
use lm_knowledge::{HybridRetriever, SearchMode, search};
use lm_search::{FULL_TEXT_FOLDER, Scope, SearchFilter, SearchHit, SearchIndex, TextIndex};

// ---------------------------------------------------------------------------------------------
// Running the binary

fn worker_dir() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            lm_testkit::built_binary("lm-stt-worker");
            lm_testkit::built_binary("lm-llm-worker")
                .parent()
                .unwrap()
                .to_path_buf()
        })
        .clone()
}

/// `littlemonster` working on the library in `data`, with the installed models.
fn littlemonster(data: &Path) -> Command {
    lm_testkit::require_model("whisper-tiny.en", "ggml-tiny.en.bin");
    lm_testkit::require_model("silero-vad", "silero_vad_16k_sequence.onnx");
    lm_testkit::require_model(MODEL_ID, "model.onnx");
    let mut command = Command::new(env!("CARGO_BIN_EXE_littlemonster"));
    command
        .env("LITTLEMONSTER_DATA_DIR", data)
        .env("LITTLEMONSTER_MODELS_DIR", lm_core::paths::models_dir())
        .env("LITTLEMONSTER_WORKER_DIR", worker_dir());
    command
}

fn run_ok(command: &mut Command) -> String {
    let output: Output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{command:?} failed:\n{stdout}\n{stderr}"
    );
    stdout
}

fn open_library(data: &Path) -> Library {
    LibraryRoot::new(data)
        .open_or_create_default("Student")
        .unwrap()
}

fn embedder() -> &'static FastEmbedder {
    static SHARED: OnceLock<FastEmbedder> = OnceLock::new();
    SHARED.get_or_init(|| FastEmbedder::new(&FastEmbedderOptions::default()).unwrap())
}

// ---------------------------------------------------------------------------------------------
// The corpus: distinct topics, each fact in one known place

/// A document page: its text, one paragraph per string.
type Page = &'static [&'static str];

const ASTRONOMY: &[Page] = &[
    &[
        "Neutron stars are the collapsed cores left behind when a massive star explodes as a supernova.",
        "They are so dense that a single teaspoon of their material would weigh about a billion tons on Earth.",
        "Many of them spin hundreds of times per second and sweep beams of radio waves across space.",
    ],
    &[
        "White dwarfs are the dim remnants of ordinary stars like the Sun after they shed their outer layers.",
        "A white dwarf packs roughly the mass of the Sun into a body about the size of the Earth.",
        "With no fusion left, a white dwarf slowly cools over billions of years.",
    ],
    &[
        "Comets are loose balls of ice and dust that orbit the Sun on long, stretched paths.",
        "As a comet approaches the Sun, the ice turns to gas and forms a glowing coma.",
        "The solar wind pushes this gas outward, so a comet's tail always points away from the Sun.",
    ],
    &[
        "The Kestrel-Varga survey, completed in 1987, catalogued 4212 dwarf galaxies near the Local Group.",
        "Its photographic plates are still used to calibrate modern sky surveys.",
    ],
];

const CHEMISTRY: &[Page] = &[
    &[
        "A catalyst speeds up a chemical reaction without being used up by it.",
        "It works by offering a different pathway with a lower activation energy, so more collisions succeed.",
        "Enzymes are the catalysts of living things.",
    ],
    &[
        "The Ostrander reagent turns deep violet when ketones are present in the sample.",
        "It must be stored in a brown bottle because daylight breaks it down within a week.",
    ],
    &[
        "The Pellham reagent turns bright green when aldehydes are present in the sample.",
        "It is prepared fresh each morning from two stock solutions.",
    ],
    &[
        "A buffer is a solution that resists changes in acidity when small amounts of acid or base are added.",
        "Blood is buffered by carbonic acid and bicarbonate, keeping its pH close to 7.4.",
    ],
];

const ECONOMICS: &[Page] = &[
    &[
        "Inflation is a general rise in the level of prices over time.",
        "When inflation is high, each unit of money buys fewer goods and services, so savings lose purchasing power.",
    ],
    &[
        "Comparative advantage explains why two countries gain from trade even if one is better at producing everything.",
        "Each should specialise in the good it gives up the least to produce.",
    ],
    &[
        "The Halvorsen ratio divides a region's household debt by its annual wage income.",
        "Analysts treat a Halvorsen ratio above 1.8 as a warning of a coming credit crunch.",
    ],
    &[
        "A price ceiling set below the market price creates a shortage, because buyers want more than sellers offer.",
        "Rent control is a common example, and waiting lists for flats are its visible sign.",
    ],
];

/// DOCX documents: one page per entry (separated by page breaks).
const HISTORY: &[Page] = &[
    &[
        "Johannes Gutenberg built a printing press with movable metal type in Mainz around 1450.",
        "Books became cheaper and faster to make, and literacy spread across Europe.",
    ],
    &[
        "The Silk Road was a network of caravan routes linking China with the Mediterranean.",
        "Merchants carried silk, spices and paper west, and glass, wool and silver east.",
    ],
    &[
        "The Treaty of Marrowgate, signed in 1612, ended the salt war between the duchies of Orlen and Vask.",
        "Orlen kept the coastal salt pans, and Vask received the river tolls.",
    ],
];

const MUSIC: &[Page] = &[
    &[
        "Sonata form has three main sections: the exposition presents the themes, the development \
         transforms them, and the recapitulation brings them back in the home key.",
    ],
    &[
        "A pentatonic scale has five notes per octave.",
        "It is heard in folk music around the world, from Scotland to West Africa to China.",
    ],
    &[
        "The Brindle cadence ends a phrase by moving from the flattened sixth chord straight to the tonic.",
        "Choir arrangers use it to give hymns a warm, unexpected close.",
    ],
];

/// Everyday pages that share words with the paraphrased questions but not their meaning, as a
/// student's library mixes subjects: full-text search is drawn to them, semantic search is not.
const HOUSEHOLD: &[Page] = &[
    &[
        "Baking tip: one heavy spoonful of flour thickens the sauce, and the apple core goes in the compost.",
    ],
    &[
        "Winter hiking: the icy trail faces north, so visitors should start early and watch for the star markers.",
    ],
    &[
        "Shopping on a budget: buy less of everything that is expensive, and your money goes further.",
    ],
    &[
        "Cooking pasta: the water should be full of salt, almost like seawater, before the pasta goes in.",
    ],
    &[
        "Theatre lighting: the stage goes pitch black, then the lamps in the depths of the set produce light.",
    ],
    &[
        "Laundry: bright clothes lose their colour in hot water, so wash reefs of towels separately.",
    ],
    &[
        "Hat shop: the government office caps the rents of market stalls under the going rate for the square.",
    ],
    &[
        "Garden: resting the soil at night under a sheet helps it retain what the students studied in the greenhouse.",
    ],
    &[
        "Car care: substances that make engines go faster without being consumed are sold as additives.",
    ],
    &["Aquarium: test the acidity of the tank water weekly and keep the temperature steady."],
];

/// Reference cards that look alike (only the name and the details differ): semantic search
/// can hardly tell them apart, full-text search matches the exact name.
fn reference_cards() -> Vec<String> {
    let names = [
        "Dunmore", "Quill", "Aston", "Rennick", "Farrow", "Lisle", "Corbin", "Hale",
    ];
    let colours = [
        "amber", "crimson", "teal", "grey", "ochre", "blue", "pink", "black",
    ];
    let mut pages = Vec::new();
    for (n, (name, colour)) in names.iter().zip(colours).enumerate() {
        pages.push(format!(
            "The {name} reagent turns {colour} when esters are present in the sample. It is              kept cold and used within {} days.",
            n + 2
        ));
        pages.push(format!(
            "The {name} survey, completed in {}, catalogued {} dwarf galaxies near the Local              Group.",
            1950 + 3 * n,
            1000 + 377 * n
        ));
        pages.push(format!(
            "The {name} ratio divides a region's household debt by its annual wage income;              analysts watch for values above {}.",
            1.1 + 0.1 * n as f64
        ));
        pages.push(format!(
            "The Treaty of {name}, signed in {}, ended the salt war between the duchies of              Orlen and Vask.",
            1500 + 11 * n
        ));
        pages.push(format!(
            "The {name} cadence ends a phrase by moving from the flattened sixth chord straight              to the tonic; composers of the {}th century favoured it.",
            16 + n % 4
        ));
    }
    pages
}

/// Lectures: sentences spoken by espeak-ng, transcribed by whisper tiny.en.
const OCEAN_LECTURE: &[&str] = &[
    "Welcome to today's lecture about the oceans of our planet.",
    "The oceans cover about seventy one percent of the surface of the Earth.",
    "Ocean water is salty because rivers carry dissolved minerals from rocks into the sea.",
    "When sea water evaporates, the salt stays behind, so over millions of years the sea became salty.",
    "Tides are caused mostly by the pull of the Moon's gravity on the water.",
    "Twice a day the water rises and falls along the coast.",
    "When the Sun and the Moon line up, we get the largest tides, which are called spring tides.",
    "Now let us talk about the deep ocean.",
    "Sunlight cannot reach below about one thousand meters, so the deep sea is completely dark.",
    "Many animals down there make their own light, which is called bioluminescence.",
    "Anglerfish use a glowing lure on their heads to attract their prey in the darkness.",
    "The pressure in the deepest trenches is more than one thousand times the pressure at the surface.",
    "Coral reefs are built by tiny animals called polyps that make skeletons of limestone.",
    "Reefs are home to about a quarter of all the species that live in the sea.",
    "When the water becomes too warm, corals push out the algae living inside them and turn white.",
    "This is called coral bleaching, and it can kill the reef.",
];

const MEMORY_LECTURE: &[&str] = &[
    "Good afternoon, today we begin our unit on human memory.",
    "Short term memory can hold only about seven items at once, for less than half a minute.",
    "To keep a phone number in mind, we repeat it to ourselves, which is called rehearsal.",
    "Grouping items into chunks, such as splitting a number into three parts, lets us remember more.",
    "Long term memory has almost no limit on how much it can store.",
    "Sleep plays a big role in learning.",
    "During deep sleep, the brain replays the experiences of the day and makes the memories stronger.",
    "Students who sleep after studying remember more than students who stay awake all night.",
    "Another powerful method is testing yourself.",
    "Trying to recall an answer strengthens a memory far more than reading the notes again.",
    "Spacing out your study sessions over several days also beats cramming everything into one evening.",
    "Finally, the part of the brain called the hippocampus is essential for forming new memories.",
    "People with damage to the hippocampus can remember their childhood but cannot form new memories.",
];

/// Where the answer to a question lives: the source's title and a phrase of the passage.
struct Place {
    title: &'static str,
    /// Words of the answer passage (lower case); the hit must contain all of them.
    needle: &'static [&'static str],
}

/// A question whose answer lives in one known place.
struct Question {
    text: &'static str,
    place: Place,
}

const fn q(text: &'static str, title: &'static str, needle: &'static [&'static str]) -> Question {
    Question {
        text,
        place: Place { title, needle },
    }
}

/// Twenty questions. Some quote rare exact terms (names and numbers nobody paraphrases:
/// full-text's strength); some say it in other words (semantic search's strength); some are in between.
const QUESTIONS: &[Question] = &[
    // Rare exact terms.
    q(
        "Which survey catalogued 4212 dwarf galaxies?",
        "Astronomy Notes",
        &["kestrel"],
    ),
    q(
        "What colour does the Ostrander reagent turn?",
        "Chemistry Handbook",
        &["ostrander"],
    ),
    q(
        "What does the Pellham reagent detect?",
        "Chemistry Handbook",
        &["pellham"],
    ),
    q(
        "Halvorsen ratio warning level",
        "Economics Primer",
        &["halvorsen"],
    ),
    q(
        "Which treaty was signed in 1612?",
        "History Reader",
        &["marrowgate"],
    ),
    q("Brindle cadence", "Music Theory", &["brindle"]),
    // Paraphrases: few or no words in common with the answer.
    q(
        "How heavy would a spoonful of a collapsed stellar core be?",
        "Astronomy Notes",
        &["teaspoon"],
    ),
    q(
        "Why does the trail of an icy visitor face away from our star?",
        "Astronomy Notes",
        &["solar wind"],
    ),
    q(
        "How do substances make reactions go faster without being consumed?",
        "Chemistry Handbook",
        &["catalyst"],
    ),
    q(
        "What keeps the acidity of blood steady?",
        "Chemistry Handbook",
        &["bicarbonate"],
    ),
    q(
        "Why does money buy less when everything gets more expensive?",
        "Economics Primer",
        &["inflation"],
    ),
    q(
        "Why do nations benefit from exchanging goods even if one makes everything more efficiently?",
        "Economics Primer",
        &["comparative"],
    ),
    q(
        "What happens when the government caps rents under the going rate?",
        "Economics Primer",
        &["shortage"],
    ),
    q(
        "Which invention made books affordable in fifteenth century Europe?",
        "History Reader",
        &["gutenberg"],
    ),
    q(
        "What are the three parts of the classical movement structure with themes?",
        "Music Theory",
        &["exposition"],
    ),
    q(
        "Why is seawater full of salt?",
        "Ocean Science",
        &["minerals"],
    ),
    q(
        "How do creatures in the pitch black depths produce light?",
        "Ocean Science",
        &["own light"],
    ),
    q(
        "Why do reefs lose their colour in hot water?",
        "Ocean Science",
        &["algae"],
    ),
    q(
        "Does resting at night help students retain what they studied?",
        "Human Memory",
        &["sleep"],
    ),
    q(
        "Which brain structure do we need to store new experiences?",
        "Human Memory",
        &["hippocampus"],
    ),
];

/// The shared corpus library: built, imported, transcribed and indexed once per test process.
struct Corpus {
    _dir: tempfile::TempDir,
    data: PathBuf,
    setup: Duration,
}

/// The corpus's search index can be open in one place at a time (it holds a write lock): tests
/// that open it, in this process or through the binary, hold this meanwhile.
static CORPUS_INDEX: Mutex<()> = Mutex::new(());

fn corpus_index_turn() -> MutexGuard<'static, ()> {
    CORPUS_INDEX.lock().unwrap_or_else(PoisonError::into_inner)
}

fn corpus() -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(build_corpus)
}

fn pdf_pages(pages: &[Page]) -> Vec<PdfPage> {
    pages.iter().map(|page| PdfPage::paragraphs(page)).collect()
}

fn docx_paragraphs(title: &str, pages: &[Page]) -> Vec<DocxParagraph> {
    let mut paragraphs = vec![DocxParagraph::Heading(1, title.to_owned())];
    for (index, page) in pages.iter().enumerate() {
        if index > 0 {
            paragraphs.push(DocxParagraph::PageBreak);
        }
        paragraphs.extend(
            page.iter()
                .map(|text| DocxParagraph::Text((*text).to_owned())),
        );
    }
    paragraphs
}

fn build_corpus() -> Corpus {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    for (name, title, pages) in [
        ("astronomy.pdf", "Astronomy Notes", ASTRONOMY),
        ("chemistry.pdf", "Chemistry Handbook", CHEMISTRY),
        ("economics.pdf", "Economics Primer", ECONOMICS),
    ] {
        fixtures::save_pdf(
            fixtures::pdf(&pdf_pages(pages), Some(title)),
            &files.join(name),
        );
    }
    fixtures::save_pdf(
        fixtures::pdf(&pdf_pages(HOUSEHOLD), Some("Household Tips")),
        &files.join("household.pdf"),
    );
    let cards = reference_cards();
    let card_pages: Vec<PdfPage> = cards
        .iter()
        .map(|card| PdfPage::paragraphs(&[card.as_str()]))
        .collect();
    fixtures::save_pdf(
        fixtures::pdf(&card_pages, Some("Reference Cards")),
        &files.join("cards.pdf"),
    );
    for (name, title, pages) in [
        ("history.docx", "History Reader", HISTORY),
        ("music.docx", "Music Theory", MUSIC),
    ] {
        fixtures::save_docx(
            &docx_paragraphs(title, pages),
            Some(title),
            &files.join(name),
        );
    }
    for (name, sentences) in [("ocean.wav", OCEAN_LECTURE), ("memory.wav", MEMORY_LECTURE)] {
        lm_testkit::speak_to_wav(&sentences.join(" "), &files.join(name));
    }
    let data = dir.path().join("data");
    let started = Instant::now();
    let mut import = littlemonster(&data);
    import.args(["import", "--class", "Science", "--language", "en"]);
    for (file, title) in [
        ("astronomy.pdf", None),
        ("chemistry.pdf", None),
        ("economics.pdf", None),
        ("household.pdf", None),
        ("cards.pdf", None),
        ("history.docx", None),
        ("music.docx", None),
        ("ocean.wav", Some("Ocean Science")),
        ("memory.wav", Some("Human Memory")),
    ] {
        // --title names one file, so lectures get their titles in separate imports.
        if let Some(title) = title {
            run_ok(
                littlemonster(&data)
                    .args([
                        "import",
                        "--no-wait",
                        "--class",
                        "Science",
                        "--title",
                        title,
                    ])
                    .arg(files.join(file)),
            );
        } else {
            import.arg(files.join(file));
        }
    }
    let output = run_ok(&mut import);
    eprintln!("{output}");
    let setup = started.elapsed();
    let library = open_library(&data);
    for lecture in library
        .store()
        .lectures()
        .list_by_class(&library.class_named("Science").unwrap().id)
        .unwrap()
    {
        assert_eq!(lecture.status, LectureStatus::Indexed, "{}", lecture.title);
        for chunk in library
            .store()
            .chunks()
            .list_by_source(&ChunkSource::Lecture(lecture.id.clone()))
            .unwrap()
        {
            eprintln!("lecture chunk {:?}: {}", chunk.locator, chunk.text);
        }
    }
    Corpus {
        _dir: dir,
        data,
        setup,
    }
}

fn title_of(library: &Library, locator: &SourceLocator) -> String {
    match locator {
        SourceLocator::DocumentPage { document_id, .. } => {
            library.store().documents().get(document_id).unwrap().title
        }
        SourceLocator::LectureSpan { lecture_id, .. } => {
            library.store().lectures().get(lecture_id).unwrap().title
        }
    }
}

/// Whether a hit is the question's answer place: the right source, and a chunk holding every
/// word of the needle.
fn is_place(library: &Library, hit: &SearchHit, place: &Place) -> bool {
    let text = library
        .store()
        .chunks()
        .get(&hit.chunk_id)
        .unwrap()
        .text
        .to_lowercase();
    title_of(library, &hit.locator) == place.title
        && place.needle.iter().all(|word| text.contains(word))
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn hybrid_search_finds_the_answer_place_in_the_top_3_more_often_than_either_method_alone() {
    let corpus = corpus();
    let library = open_library(&corpus.data);
    let _turn = corpus_index_turn();
    let (index, _) =
        SearchIndex::open(library.index_dir(), library.store(), MODEL_ID, DIMENSIONS).unwrap();
    let filter = SearchFilter::default();
    let mut found = [0_usize; 3];
    let modes = [SearchMode::Text, SearchMode::Semantic, SearchMode::Hybrid];
    for question in QUESTIONS {
        let mut line = String::new();
        for (slot, mode) in modes.iter().enumerate() {
            let hits = search(&index, embedder(), question.text, *mode, &filter, 3).unwrap();
            let rank = hits
                .iter()
                .position(|hit| is_place(&library, hit, &question.place));
            if rank.is_some() {
                found[slot] += 1;
            }
            line.push_str(&format!(
                " {mode:?}={}",
                rank.map_or("-".to_owned(), |r| (r + 1).to_string())
            ));
        }
        eprintln!("{:<90}{line}", question.text);
    }
    let total = QUESTIONS.len();
    println!(
        "recall@3 over {total} questions: full-text {}/{total}, semantic {}/{total}, hybrid {}/{total} \
         (corpus set up in {:.1} s)",
        found[0],
        found[1],
        found[2],
        corpus.setup.as_secs_f64()
    );
    assert_eq!(total, 20);
    assert!(found[2] >= 18, "hybrid found {} of 20", found[2]);
    assert!(found[2] > found[0], "hybrid must beat full-text alone");
    // Each method misses what the other finds: semantic search misses "4212 dwarf galaxies" (a
    // number), full-text misses the paraphrases; fusion must keep both.
    assert!(
        found[2] > found[1],
        "hybrid must beat semantic search alone"
    );
}

#[test]
fn search_prints_locations_and_respects_class_and_kind() {
    let corpus = corpus();
    let _turn = corpus_index_turn();
    let stdout = run_ok(littlemonster(&corpus.data).args([
        "search",
        "Ostrander reagent",
        "--class",
        "science",
        "--limit",
        "3",
    ]));
    assert!(
        stdout.starts_with("1. [Chemistry Handbook p. 2]"),
        "{stdout}"
    );
    let stdout = run_ok(littlemonster(&corpus.data).args([
        "search",
        "deep sea light",
        "--kind",
        "lecture",
        "--json",
    ]));
    let hits: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    assert!(!hits.is_empty());
    for hit in &hits {
        assert_eq!(hit["kind"], "lecture", "{hit}");
        let label = hit["label"].as_str().unwrap();
        assert!(label.starts_with("Ocean Science @ ") || label.starts_with("Human Memory @ "));
    }
    let unknown = littlemonster(&corpus.data)
        .args(["search", "cells", "--class", "No Such Class"])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
}

fn llm() -> WorkerLlm {
    lm_testkit::smollm2_worker(2048)
}

#[test]
fn grounded_answers_cite_the_page_or_moment_that_holds_the_answer() {
    let corpus = corpus();
    let library = open_library(&corpus.data);
    let store = library.store();
    let _turn = corpus_index_turn();
    let (index, _) = SearchIndex::open(library.index_dir(), store, MODEL_ID, DIMENSIONS).unwrap();
    let llm = llm();
    let retriever = HybridRetriever::new(store, &index, embedder());
    let chat = ChatService::new(
        store,
        &llm,
        &retriever,
        ChatSettings {
            passages: 3,
            answer_tokens: 96,
            temperature: 0.0,
            ..ChatSettings::default()
        },
    );
    let class = library.class_named("Science").unwrap().id;

    // A document page.
    let mut streamed = String::new();
    let started = Instant::now();
    let mut first_token = None;
    let answer = chat
        .ask(
            None,
            Some(&class),
            "What colour does the Ostrander reagent turn?",
            None,
            &mut |piece| {
                first_token.get_or_insert_with(|| started.elapsed());
                streamed.push_str(piece);
            },
        )
        .unwrap();
    eprintln!(
        "answer: {streamed}\ncitations: {:?}\nfirst token after {:?}, {:.1} tokens/s",
        answer.message.citations, first_token, answer.tokens_per_second
    );
    assert!(answer.grounded);
    assert_eq!(streamed.trim(), answer.message.content);
    assert!(answer.message.completion_tokens.unwrap() > 0 && answer.tokens_per_second > 0.0);
    let citations = &answer.message.citations;
    assert!(
        !citations.is_empty(),
        "the answer cites nothing: {streamed}"
    );
    for citation in citations {
        let chunk = store.chunks().get(&citation.chunk_id).unwrap();
        assert_eq!(chunk.locator, citation.locator);
    }
    let cited_page = citations.iter().find(|c| {
        store
            .chunks()
            .get(&c.chunk_id)
            .unwrap()
            .text
            .contains("Ostrander reagent turns deep violet")
    });
    let cited_page =
        cited_page.unwrap_or_else(|| panic!("no citation holds the source passage: {citations:?}"));
    assert!(matches!(
        cited_page.locator,
        SourceLocator::DocumentPage { page: 2, .. }
    ));
    assert_eq!(cited_page.label, "Chemistry Handbook p. 2");

    // A lecture moment: the cited span must hold the moment the answer was spoken.
    let mut streamed = String::new();
    let answer = chat
        .ask(
            None,
            Some(&class),
            "What is coral bleaching?",
            None,
            &mut |piece| streamed.push_str(piece),
        )
        .unwrap();
    eprintln!(
        "answer: {streamed}\ncitations: {:?}",
        answer.message.citations
    );
    let lecture = store
        .lectures()
        .list_by_class(&class)
        .unwrap()
        .into_iter()
        .find(|l| l.title == "Ocean Science")
        .unwrap();
    let said_at = store
        .transcripts()
        .list(&lecture.id)
        .unwrap()
        .into_iter()
        .find(|row| row.segment.text.to_lowercase().contains("algae"))
        .expect("whisper heard \"algae\"")
        .segment;
    let cited = answer
        .message
        .citations
        .iter()
        .find(|c| {
            store
                .chunks()
                .get(&c.chunk_id)
                .unwrap()
                .text
                .to_lowercase()
                .contains("algae")
        })
        .unwrap_or_else(|| {
            panic!(
                "no citation holds the source passage: {:?}",
                answer.message.citations
            )
        });
    match &cited.locator {
        SourceLocator::LectureSpan {
            lecture_id,
            start_ms,
            end_ms,
        } => {
            assert_eq!(lecture_id, &lecture.id);
            assert!(*start_ms <= said_at.start_ms && said_at.end_ms <= *end_ms);
            assert!(
                cited.label.starts_with("Ocean Science @ "),
                "{}",
                cited.label
            );
        }
        other => panic!("a lecture citation expected, got {other:?}"),
    }

    // Nothing relevant: said so, without asking the model.
    let answer = chat
        .ask(
            None,
            Some(&class),
            "Who won the 1998 football world cup final?",
            None,
            &mut |_| {},
        )
        .unwrap();
    assert!(!answer.grounded);
    assert_eq!(answer.message.content, NOTHING_FOUND);
}

#[test]
fn deleting_a_document_removes_its_chunks_from_the_database_and_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("economics.pdf");
    fixtures::save_pdf(
        fixtures::pdf(&pdf_pages(ECONOMICS), Some("Economics Primer")),
        &file,
    );
    run_ok(
        littlemonster(&data)
            .args(["import", "--class", "Econ"])
            .arg(&file),
    );
    let found = |data: &Path| {
        let stdout = run_ok(littlemonster(data).args(["search", "Halvorsen ratio", "--json"]));
        serde_json::from_str::<Vec<serde_json::Value>>(&stdout)
            .unwrap()
            .len()
    };
    assert!(found(&data) > 0);

    let library = open_library(&data);
    let class = library.class_named("Econ").unwrap();
    let document = library
        .store()
        .documents()
        .list_by_class(&class.id)
        .unwrap()
        .remove(0);
    let source = ChunkSource::Document(document.id.clone());
    library.store().documents().delete(&document.id).unwrap();
    assert_eq!(
        library.store().chunks().count_by_source(&source).unwrap(),
        0
    );
    assert_eq!(
        library
            .store()
            .embeddings()
            .count_by_model(MODEL_ID)
            .unwrap(),
        0
    );
    drop(library);
    assert_eq!(
        found(&data),
        0,
        "the index still returns the deleted document"
    );
}

#[test]
fn indexing_killed_mid_way_resumes_and_the_database_and_indexes_agree() {
    const CHUNKS: usize = 500;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let notes = dir.path().join("notes.md");
    let mut text = String::new();
    for n in 0..CHUNKS {
        text.push_str(&format!(
            "# Topic {n}\n\nFact number {n} says that sample {n} of the survey was measured at \
             station {} on day {} and recorded in notebook {} by observer {}.\n\n",
            n * 7 % 101,
            n % 365,
            n / 10,
            n % 13
        ));
    }
    std::fs::write(&notes, text).unwrap();
    let stdout = run_ok(
        littlemonster(&data)
            .args(["import", "--no-wait", "--class", "Survey"])
            .arg(&notes),
    );
    assert!(stdout.contains(&format!("{CHUNKS} chunks")), "{stdout}");

    // Run the queue and kill it once some batches, but not all, are stored.
    let mut child = littlemonster(&data)
        .args(["jobs", "run"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let reader = BufReader::new(child.stdout.take().unwrap());
    for line in reader.lines() {
        let line = line.unwrap();
        if line.contains("embedded 96 of") || line.contains("embedded 128 of") {
            child.kill().unwrap(); // SIGKILL
            break;
        }
    }
    child.wait().unwrap();

    let library = open_library(&data);
    let embedded = library
        .store()
        .embeddings()
        .count_by_model(MODEL_ID)
        .unwrap();
    eprintln!("killed with {embedded} of {CHUNKS} chunks embedded");
    assert!(
        embedded > 0 && embedded < CHUNKS as u64,
        "killed at {embedded}"
    );
    drop(library);

    let stdout = run_ok(littlemonster(&data).args(["jobs", "run"]));
    assert!(
        stdout.contains("1 done") && stdout.contains("resumed"),
        "{stdout}"
    );

    let library = open_library(&data);
    let store = library.store();
    let chunks = store.chunks().count().unwrap();
    let embeddings = store.embeddings().count_by_model(MODEL_ID).unwrap();
    // The full-text index as the job left it, before any repair by opening the search index.
    let text_docs = TextIndex::open(&library.index_dir().join(FULL_TEXT_FOLDER))
        .unwrap()
        .len();
    let (index, report) =
        SearchIndex::open(library.index_dir(), store, MODEL_ID, DIMENSIONS).unwrap();
    let vectors = index.vectors().len();
    eprintln!("chunks {chunks}, embeddings {embeddings}, full-text {text_docs}, vectors {vectors}");
    assert_eq!(chunks, CHUNKS as u64);
    assert_eq!(embeddings, chunks);
    assert_eq!(text_docs, chunks);
    assert_eq!(vectors as u64, chunks);
    assert_eq!((report.added, report.removed, report.rebuilt), (0, 0, None));
    let hits = index
        .search_text(
            "notebook 37",
            &SearchFilter {
                scope: Scope::Everything,
                ..SearchFilter::default()
            },
            3,
        )
        .unwrap();
    assert!(!hits.is_empty());
}
