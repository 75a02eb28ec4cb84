-- Flashcards a student can set aside, and the free-text source of imported cards.
--
-- suspended    1 while the student has suspended the card: it keeps its memory state and review
--              history but is never due until unsuspended;
-- source_text  where the card says it comes from when that is not a chunk of the library (a card
--              imported from a CSV file, "Campbell ch. 7"); generated cards cite chunks in
--              citations_json instead. NULL when there is none.
ALTER TABLE flashcards ADD COLUMN suspended INTEGER NOT NULL DEFAULT 0 CHECK (suspended IN (0, 1));
ALTER TABLE flashcards ADD COLUMN source_text TEXT;
