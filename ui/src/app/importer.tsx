import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { describeError, importPaths, type ImportFileResult } from "../api";

/** One import (a drop or a typed list of paths) and what became of it. */
export interface ImportBatch {
  id: number;
  classId: string;
  paths: string[];
  /** Null while `import_paths` runs. */
  results: ImportFileResult[] | null;
  /** The command itself failed (nothing was imported). */
  error: string | null;
}

/** Imports files into a class and keeps each batch's results for display. */
export interface Importer {
  batches: ImportBatch[];
  importFiles: (classId: string, paths: string[]) => Promise<void>;
  dismiss: (batchId: number) => void;
}

const ImporterContext = createContext<Importer | null>(null);
let nextBatchId = 1;

/** Holds the import batches of this session. */
export function ImporterProvider({ children }: { children: ReactNode }) {
  const [batches, setBatches] = useState<ImportBatch[]>([]);

  const importFiles = useCallback(async (classId: string, paths: string[]) => {
    const id = nextBatchId++;
    setBatches((old) => [{ id, classId, paths, results: null, error: null }, ...old]);
    const change = (patch: Partial<ImportBatch>) => {
      setBatches((old) => old.map((batch) => (batch.id === id ? { ...batch, ...patch } : batch)));
    };
    try {
      const report = await importPaths(classId, paths);
      change({ results: report.files });
    } catch (error: unknown) {
      change({ error: describeError(error), results: [] });
    }
  }, []);

  const dismiss = useCallback((batchId: number) => {
    setBatches((old) => old.filter((batch) => batch.id !== batchId));
  }, []);

  const value = useMemo(() => ({ batches, importFiles, dismiss }), [batches, importFiles, dismiss]);
  return <ImporterContext.Provider value={value}>{children}</ImporterContext.Provider>;
}

/** The importer; only inside `ImporterProvider`. */
export function useImporter(): Importer {
  const importer = useContext(ImporterContext);
  if (importer === null) throw new Error("useImporter outside ImporterProvider");
  return importer;
}
