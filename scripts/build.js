#!/usr/bin/env node
/**
 * Compiles the TypeScript sources into dist/ with tsc, only when they are newer than the last
 * build. `npm install` / `npm ci` (prepare), `npm start` (prestart) and the jest global setup all
 * go through here, so the CLI and the server are compiled once and rebuilt only after an edit.
 *
 *   node scripts/build.js            build if stale
 *   node scripts/build.js --force    build unconditionally (`npm run build`)
 *
 * dist/.build-stamp records the build: its mtime is when the last successful build started and
 * its content lists the inputs, so an edited, added or removed source file triggers a rebuild.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const STAMP = path.join(DIST, '.build-stamp');
const BIN = path.join(DIST, 'src', 'cli.js');
const SOURCE_DIRS = ['src', 'seeds', 'bench', 'explorer', 'clients/typescript/src'];
const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.css', '.html'];
const EXPLORER_INDEX = path.join(DIST, 'explorer', 'index.html');
const CONFIG_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json'];

/** Every input of the build, relative to the package root, sorted. */
function inputs() {
  const out = [];
  const walk = (rel) => {
    let entries;
    try {
      entries = fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true });
    } catch {
      return; // e.g. no bench/ in the Docker build stage
    }
    for (const e of entries) {
      const child = path.posix.join(rel, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== 'out') walk(child);
      } else if (SOURCE_EXTENSIONS.some((x) => e.name.endsWith(x))) out.push(child);
    }
  };
  SOURCE_DIRS.forEach(walk);
  for (const f of CONFIG_FILES) if (fs.existsSync(path.join(ROOT, f))) out.push(f);
  return out.sort();
}

/** Why dist/ needs a build, or null when it is up to date. */
function staleReason() {
  let stamp;
  try {
    stamp = { mtimeMs: fs.statSync(STAMP).mtimeMs, files: fs.readFileSync(STAMP, 'utf8') };
  } catch {
    return 'no previous build';
  }
  if (!fs.existsSync(BIN)) return 'dist/src/cli.js is missing';
  if (fs.existsSync(path.join(ROOT, 'explorer')) && !fs.existsSync(EXPLORER_INDEX)) return 'dist/explorer is missing';
  const files = inputs();
  if (files.join('\n') !== stamp.files) return 'source files were added or removed';
  for (const f of files) {
    if (fs.statSync(path.join(ROOT, f)).mtimeMs > stamp.mtimeMs) return `${f} changed`;
  }
  return null;
}

/**
 * Builds dist/ if stale (or always with force). With allowTypeErrors, a build that reports type
 * errors but still emitted JavaScript counts as done (tsc emits anyway; the stamp is not written,
 * so the next call builds again). Returns { built, reason }; throws when the build failed.
 */
function build({ force = false, allowTypeErrors = false, log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  const reason = force ? 'forced' : staleReason();
  if (!reason) return { built: false, reason: null };
  let tsc;
  try {
    tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  } catch {
    throw new Error('cannot build dist/: TypeScript is not installed; run `npm install` (with dev dependencies) first');
  }
  log(`[driftql] compiling TypeScript into dist/ (${reason})`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  const emitted = fs.existsSync(BIN) && fs.statSync(BIN).mtimeMs >= started - 1000;
  if (r.status !== 0) {
    // tsc exits 2 when it reported errors but wrote the output anyway.
    if (!(allowTypeErrors && r.status === 2 && emitted)) {
      throw new Error(`tsc -p tsconfig.build.json failed (exit ${r.status ?? r.signal}):\n${output}`);
    }
    log(`[driftql] tsc reported type errors; using its output anyway:\n${output}`);
  }
  fs.chmodSync(BIN, 0o755); // the `driftql` bin
  buildExplorer(log);
  if (r.status === 0) {
    fs.writeFileSync(STAMP, inputs().join('\n'));
    const t = new Date(started);
    fs.utimesSync(STAMP, t, t); // an edit made while tsc ran is newer than the stamp
  }
  log(`[driftql] built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { built: true, reason };
}

/** Bundles the explorer (explorer/, Vite) into dist/explorer, which the server serves at `/`. */
function buildExplorer(log) {
  if (!fs.existsSync(path.join(ROOT, 'explorer', 'vite.config.ts'))) return;
  let vite;
  try {
    vite = path.join(path.dirname(require.resolve('vite/package.json', { paths: [ROOT] })), 'bin', 'vite.js');
  } catch {
    throw new Error('cannot build the explorer: Vite is not installed; run `npm install` (with dev dependencies) first');
  }
  const started = Date.now();
  const r = spawnSync(process.execPath, [vite, 'build', '--config', path.join('explorer', 'vite.config.ts')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`vite build failed (exit ${r.status ?? r.signal}):\n${`${r.stdout ?? ''}${r.stderr ?? ''}`.trim()}`);
  log(`[driftql] bundled the explorer into dist/explorer in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

module.exports = { build, staleReason };

if (require.main === module) {
  try {
    build({ force: process.argv.includes('--force') });
  } catch (err) {
    console.error(`error: ${err.message}`);
    process.exit(1);
  }
}
