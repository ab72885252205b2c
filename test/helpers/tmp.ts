import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh temp directory removed after the test file finishes. */
export function tempDir(prefix = 'driftql-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
