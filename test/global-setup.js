/**
 * Jest global setup: the CLI tests run the compiled CLI (node dist/src/cli.js) as users do, so
 * dist/ is built here, once per jest run and only when the sources are newer than the last build
 * (the same check `npm start` makes). Runs that select no CLI test skip it.
 */
const fs = require('node:fs');
const path = require('node:path');
const { build } = require('../scripts/build');

/**
 * The test files that run compiled code (the CLI, or the server as `npm start` runs it):
 * test/cli/*.test.ts, test/security/*.test.ts, test/ingest/cli.test.ts, test/browser/cors.test.ts,
 * test/limits/rate-limit.test.ts,
 * test/upload/crash.test.ts, test/upload/while-serving.test.ts and test/export/export.test.ts.
 */
function cliTestFiles() {
  const inDir = (name) => {
    const dir = path.join(__dirname, name);
    return fs.existsSync(dir)
      ? fs
          .readdirSync(dir)
          .filter((f) => f.endsWith('.test.ts'))
          .map((f) => path.join(dir, f))
      : [];
  };
  return [
    ...inDir('cli'),
    ...inDir('security'),
    ...inDir('cluster'),
    path.join(__dirname, 'ingest', 'cli.test.ts'),
    path.join(__dirname, 'browser', 'cors.test.ts'),
    // The explorer test loads the bundle the build writes to dist/explorer.
    path.join(__dirname, 'browser', 'explorer.test.ts'),
    path.join(__dirname, 'browser', 'explorer-views.test.ts'),
    path.join(__dirname, 'limits', 'rate-limit.test.ts'),
    path.join(__dirname, 'upload', 'crash.test.ts'),
    path.join(__dirname, 'upload', 'while-serving.test.ts'),
    // Arrow exports run their conversion in a worker thread, which loads the compiled worker.
    path.join(__dirname, 'export', 'export.test.ts'),
  ];
}

function selectsCliTests(globalConfig) {
  const patterns = globalConfig.testPathPatterns;
  if (!patterns || !patterns.isSet()) return true;
  try {
    const executor = patterns.toExecutor({ rootDir: globalConfig.rootDir });
    return cliTestFiles().some((file) => executor.isMatch(file));
  } catch {
    return true;
  }
}

module.exports = async function globalSetup(globalConfig) {
  if (!selectsCliTests(globalConfig)) return;
  // Type errors elsewhere in the tree are `npm run check:types`'s to report; tsc still emits.
  const { built } = build({ allowTypeErrors: true, log: (m) => process.stderr.write(`\n${m}`) });
  if (built) process.stderr.write('\n');
};
