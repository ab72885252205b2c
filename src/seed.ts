/** Loads the deterministic demo bundle from seeds/ (generated into a temp folder, then ingested). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeDemoBundle } from '../seeds/demo';
import type { DriftDb } from './db/client';
import { asStorage, type Storage } from './db/storage';
import type { IngestResult } from './ingest/ingest';

export async function loadDemo(
  db: DriftDb | Storage,
  opts: { keepIn?: string; progress?: (m: string) => void } = {},
): Promise<IngestResult> {
  const dir = opts.keepIn ? path.resolve(opts.keepIn) : fs.mkdtempSync(path.join(os.tmpdir(), 'driftql-demo-'));
  try {
    writeDemoBundle(dir);
    return await asStorage(db).ingest(dir, { progress: opts.progress });
  } finally {
    if (!opts.keepIn) fs.rmSync(dir, { recursive: true, force: true });
  }
}
