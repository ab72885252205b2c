/**
 * Safe extraction of uploaded bundles: every kind of hostile archive is refused with a message
 * naming the entry, nothing is left behind in the temp folder, and a real bundle comes out whole.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { UserInputError } from '../../src/errors';
import { bundleRoot, extractBundle, safeComponents } from '../../src/upload/extract';
import { smallBundle, writeBundle } from '../helpers/bundles';
import { tempDir } from '../helpers/tmp';
import { randomBytes, rawTarGz, tarGzOf, writeTo, type RawEntry } from './archive';

describe('extractBundle', () => {
  const dir = tempDir();
  const tmpRoot = path.join(dir, 'extract');
  fs.mkdirSync(tmpRoot);
  let n = 0;
  const archive = (content: Buffer) => writeTo(path.join(dir, `a${n++}.tar.gz`), content);

  /** Extraction must fail with BAD_USER_INPUT matching `message` and leave no folder behind. */
  async function refused(file: string, message: RegExp, opts: { maxEntries?: number; maxUnpackedBytes?: number } = {}) {
    const err = await extractBundle(file, { tmpRoot, ...opts }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserInputError);
    expect((err as Error).message).toMatch(message);
    expect(fs.readdirSync(tmpRoot)).toEqual([]);
  }

  it('extracts a real bundle archived with tar, in its own fresh folder', async () => {
    const b = smallBundle();
    const src = writeBundle(path.join(dir, 'bundle'), b);
    const file = await tarGzOf(src, path.join(dir, 'bundle.tar.gz'));
    const out = await extractBundle(file, { tmpRoot });
    expect(path.dirname(out.dir)).toBe(tmpRoot);
    const root = bundleRoot(out.dir);
    for (const name of fs.readdirSync(src)) {
      expect(fs.readFileSync(path.join(root, name))).toEqual(fs.readFileSync(path.join(src, name)));
    }
    expect(out.files).toBe(fs.readdirSync(src).length);
    fs.rmSync(out.dir, { recursive: true });
  });

  it('finds the manifest in the only top-level folder too', async () => {
    const file = archive(
      rawTarGz([
        { path: 'my-bundle/', type: 'Directory' },
        { path: 'my-bundle/manifest.json', body: '{}' },
      ]),
    );
    const out = await extractBundle(file, { tmpRoot });
    expect(bundleRoot(out.dir)).toBe(path.join(out.dir, 'my-bundle'));
    fs.rmSync(out.dir, { recursive: true });
  });

  it('reads from a stream as well as a file', async () => {
    const file = archive(rawTarGz([{ path: 'manifest.json', body: '{"a":1}' }]));
    const out = await extractBundle(fs.createReadStream(file), { tmpRoot });
    expect(fs.readFileSync(path.join(out.dir, 'manifest.json'), 'utf8')).toBe('{"a":1}');
    fs.rmSync(out.dir, { recursive: true });
  });

  const hostile: [string, RawEntry[], RegExp][] = [
    ['an absolute path', [{ path: '/tmp/driftql-evil', body: 'x' }], /"\/tmp\/driftql-evil" was refused: its path is absolute/],
    ['a ".." component', [{ path: 'a/../../evil', body: 'x' }], /"a\/\.\.\/\.\.\/evil" was refused: its path has a "\.\." component/],
    [
      'a symbolic link',
      [{ path: 'data.csv', type: 'SymbolicLink', linkpath: '/etc/passwd' }],
      /"data\.csv" was refused: it is a symbolic link/,
    ],
    ['a hard link', [{ path: 'data.csv', type: 'Link', linkpath: '/etc/passwd' }], /"data\.csv" was refused: it is a hard link/],
    ['a character device', [{ path: 'tty', type: 'CharacterDevice' }], /"tty" was refused: it is a character device/],
    ['a block device', [{ path: 'disk', type: 'BlockDevice' }], /"disk" was refused: it is a block device/],
    ['a FIFO', [{ path: 'pipe', type: 'FIFO' }], /"pipe" was refused: it is a FIFO/],
  ];
  it.each(hostile)('refuses %s, naming the entry', async (_what, entries, message) => {
    await refused(archive(rawTarGz([{ path: 'manifest.json', body: '{}' }, ...entries])), message);
    expect(fs.existsSync('/tmp/driftql-evil')).toBe(false);
    expect(fs.existsSync(path.join(dir, 'evil'))).toBe(false);
  });

  it('refuses a link even after good files, removing what it had written', async () => {
    const entries: RawEntry[] = [
      { path: 'manifest.json', body: '{}' },
      { path: 'obs.csv', body: randomBytes(100_000) },
      { path: 'evil', type: 'SymbolicLink', linkpath: '../../..' },
    ];
    await refused(archive(rawTarGz(entries)), /"evil" was refused: it is a symbolic link/);
  });

  it('refuses more entries than allowed', async () => {
    const entries = Array.from({ length: 12 }, (_, i) => ({ path: `f${i}.csv`, body: 'x' }));
    await refused(archive(rawTarGz(entries)), /more than 10 entries/, { maxEntries: 10 });
  });

  it('refuses more unpacked bytes than allowed, from the sizes its headers state', async () => {
    const entries = [
      { path: 'manifest.json', body: '{}' },
      { path: 'a.csv', body: randomBytes(600_000) },
      { path: 'b.csv', body: randomBytes(600_000) },
    ];
    await refused(archive(rawTarGz(entries)), /unpacks to more than 1 MiB \(stopped at entry "b\.csv"\).*DRIFT_MAX_UNPACKED_BYTES/, {
      maxUnpackedBytes: 1024 ** 2,
    });
  });

  it('stops an archive bomb early', async () => {
    // 64 MiB of zeros gzip to about 64 KiB; the default limits refuse it on the way in.
    const bomb = archive(rawTarGz([{ path: 'zeros.csv', body: Buffer.alloc(64 * 1024 ** 2) }]));
    expect(fs.statSync(bomb).size).toBeLessThan(1024 ** 2);
    await refused(bomb, /archive bomb|unpacks to more than/, { maxUnpackedBytes: 8 * 1024 ** 2 });
  });

  it('refuses what is not a gzip tar', async () => {
    await refused(archive(Buffer.from('manifest.json is not here\n'.repeat(100))), /not a readable gzip-compressed tar archive/);
    await refused(archive(zlib.gzipSync(Buffer.from('just some gzip text\n'.repeat(100)))), /not a readable gzip-compressed tar archive/);
    await refused(
      archive(rawTarGz([{ path: 'a.csv', body: 'x'.repeat(2000) }]).subarray(0, 60)),
      /not a readable gzip-compressed tar archive/,
    );
  });

  it('refuses an archive without a manifest where bundleRoot looks', async () => {
    const out = await extractBundle(
      archive(
        rawTarGz([
          { path: 'a/b/manifest.json', body: '{}' },
          { path: 'c.csv', body: 'x' },
        ]),
      ),
      {
        tmpRoot,
      },
    );
    expect(() => bundleRoot(out.dir)).toThrow(/no manifest\.json at its root/);
    fs.rmSync(out.dir, { recursive: true });
  });
});

describe('safeComponents', () => {
  it.each([
    ['./a/b.csv', ['a', 'b.csv']],
    ['a//b/', ['a', 'b']],
    ['.', []],
  ])('keeps %s', (p, parts) => expect(safeComponents(p)).toEqual(parts));
  it.each(['/etc/passwd', '\\x', 'C:/x', 'a/../b', '..', 'a\\..\\b'])('refuses %s', (p) => expect(typeof safeComponents(p)).toBe('string'));
});
