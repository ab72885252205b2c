import fs from 'node:fs';
import path from 'node:path';

/** The package root, whether running from src/ (tests) or dist/src/ (built). */
export const ROOT = (() => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the driftql package root');
    dir = up;
  }
  return dir;
})();

export const MIGRATIONS_DIR = path.join(ROOT, 'migrations');
