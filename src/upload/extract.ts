/**
 * Safe extraction of an uploaded bundle (a gzip-compressed tar of its folder) into a fresh temp
 * folder. Only plain files and folders inside that folder are written: absolute paths, `..`
 * components, links, devices and FIFOs are refused, and so are archives with too many entries or
 * too many unpacked bytes. Bytes are counted as they stream, so an archive bomb is stopped early;
 * nothing is ever held whole in memory. On any refusal the temp folder is removed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { UserInputError } from '../errors';

export const DEFAULT_MAX_ENTRIES = 10_000;
export const DEFAULT_MAX_UNPACKED_BYTES = 4 * 1024 ** 3; // 4 GiB

export interface ExtractOptions {
  /** Most entries (files and folders) the archive may hold. */
  maxEntries?: number;
  /** Most bytes its files may hold once unpacked. */
  maxUnpackedBytes?: number;
  /** Folder the fresh temp folder is made in; the system temp folder by default. */
  tmpRoot?: string;
}

export interface Extracted {
  /** The fresh folder holding the archive's contents; the caller removes it (see `removeDir`). */
  dir: string;
  files: number;
  bytes: number;
}

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
/** Header entries the parser folds into the next entry; never written themselves. */
const META_TYPES = new Set([
  'GlobalExtendedHeader',
  'ExtendedHeader',
  'OldExtendedHeader',
  'NextFileHasLongPath',
  'NextFileHasLongLinkpath',
  'OldGnuLongPath',
]);
const TYPE_WORDS: Record<string, string> = {
  SymbolicLink: 'a symbolic link',
  Link: 'a hard link',
  CharacterDevice: 'a character device',
  BlockDevice: 'a block device',
  FIFO: 'a FIFO',
};

const mib = (n: number) => `${(n / 1024 ** 2).toLocaleString('en-US', { maximumFractionDigits: 1 })} MiB`;

/**
 * The entry's path split into safe components, or a reason to refuse it. Empty components and
 * `.` are dropped; an empty result means the archive's root folder itself.
 */
export function safeComponents(entryPath: string): string[] | string {
  if (entryPath.includes('\0')) return 'its path holds a NUL character';
  if (entryPath.startsWith('/') || entryPath.startsWith('\\') || /^[A-Za-z]:/.test(entryPath)) return 'its path is absolute';
  const parts = entryPath.split(/[/\\]+/).filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return 'its path has a ".." component';
  return parts;
}

/** Removes a folder made by `extractBundle` (or any temp folder), ignoring one already gone. */
export async function removeDir(dir: string): Promise<void> {
  await fs.promises.rm(dir, { recursive: true, force: true });
}

/** Extracts the gzip tar at `archive` (a file path or a readable stream) into a fresh temp folder. */
export async function extractBundle(archive: string | NodeJS.ReadableStream, opts: ExtractOptions = {}): Promise<Extracted> {
  const maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const maxBytes = opts.maxUnpackedBytes ?? DEFAULT_MAX_UNPACKED_BYTES;
  const dir = await uploadFolder(opts.tmpRoot);
  try {
    const counts = await unpack(archive, dir, maxEntries, maxBytes);
    return { dir, ...counts };
  } catch (err) {
    await removeDir(dir);
    throw err;
  }
}

function unpack(
  archive: string | NodeJS.ReadableStream,
  dir: string,
  maxEntries: number,
  maxBytes: number,
): Promise<{ files: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const source: NodeJS.ReadableStream = typeof archive === 'string' ? fs.createReadStream(archive) : archive;
    const parser = new Parser({ strict: true });
    const writes: Promise<void>[] = [];
    const open = new Set<fs.WriteStream>();
    let entries = 0;
    let files = 0;
    let bytes = 0;
    let failed: Error | undefined;

    const fail = (err: Error) => {
      if (failed) return;
      failed = err;
      for (const ws of open) ws.destroy();
      if ('unpipe' in source && typeof source.unpipe === 'function') source.unpipe(parser as unknown as NodeJS.WritableStream);
      if ('destroy' in source && typeof source.destroy === 'function') (source as { destroy(): void }).destroy();
      parser.abort(err);
      reject(err);
    };
    const refuse = (entry: ReadEntry, why: string) =>
      fail(new UserInputError(`the archive's entry "${entry.path}" was refused: ${why}; a bundle holds only plain files and folders`));

    parser.on('entry', (entry: ReadEntry) => {
      if (failed) return entry.resume();
      if (META_TYPES.has(entry.type)) return entry.resume();
      entries += 1;
      if (entries > maxEntries) {
        return fail(
          new UserInputError(`the archive holds more than ${maxEntries.toLocaleString('en-US')} entries; a bundle needs far fewer`),
        );
      }
      const word = TYPE_WORDS[entry.type];
      if (word) return refuse(entry, `it is ${word}`);
      if (entry.type !== 'Directory' && !FILE_TYPES.has(entry.type)) return refuse(entry, `its type ${entry.type} is not supported`);
      const parts = safeComponents(entry.path);
      if (typeof parts === 'string') return refuse(entry, parts);
      const target = path.join(dir, ...parts);
      if (target !== dir && !target.startsWith(dir + path.sep)) return refuse(entry, 'its path leads outside the bundle');
      if (entry.type === 'Directory') {
        fs.mkdirSync(target, { recursive: true });
        return entry.resume();
      }
      if (parts.length === 0) return refuse(entry, 'a file cannot be the archive root');
      // The header states the size: refuse before reading a byte when it alone is too much.
      if (bytes + entry.size > maxBytes) return tooBig(entry);
      files += 1;
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const ws = fs.createWriteStream(target, { flags: 'w', mode: 0o600 });
      open.add(ws);
      writes.push(
        new Promise<void>((done) => {
          ws.on('close', () => {
            open.delete(ws);
            done();
          });
          ws.on('error', (err) => fail(err));
        }),
      );
      entry.on('data', (chunk: Buffer) => {
        if (failed) return;
        bytes += chunk.length;
        if (bytes > maxBytes) return tooBig(entry);
        if (!ws.write(chunk)) {
          entry.pause();
          ws.once('drain', () => entry.resume());
        }
      });
      entry.on('end', () => ws.end());
    });

    const tooBig = (entry: ReadEntry) =>
      fail(
        new UserInputError(
          `the archive unpacks to more than ${mib(maxBytes)} (stopped at entry "${entry.path}"); split the bundle or ask the server operator to raise DRIFT_MAX_UNPACKED_BYTES`,
        ),
      );

    parser.on('error', (err: Error & { tarCode?: string }) => {
      if (failed) return;
      const message = /decompression ratio/.test(err.message)
        ? 'the archive expands more than 1,000-fold when unpacked and was refused as an archive bomb'
        : `the upload is not a readable gzip-compressed tar archive (${err.message}); send the bundle folder as .tar.gz`;
      fail(new UserInputError(message));
    });
    parser.on('end', () => {
      if (failed) return;
      void Promise.all(writes).then(() => {
        if (failed) return;
        if (entries === 0) return fail(new UserInputError('the archive is empty; send the bundle folder as .tar.gz'));
        resolve({ files, bytes });
      });
    });
    source.on('error', (err: Error) => fail(err));
    source.pipe(parser as unknown as NodeJS.WritableStream);
  });
}

/**
 * The folder holding the bundle's manifest.json: the archive's root, or its only top-level
 * folder (as `tar czf b.tar.gz my-bundle/` makes).
 */
export function bundleRoot(dir: string): string {
  if (fs.existsSync(path.join(dir, 'manifest.json'))) return dir;
  const top = fs.readdirSync(dir, { withFileTypes: true });
  if (top.length === 1 && top[0]!.isDirectory() && fs.existsSync(path.join(dir, top[0]!.name, 'manifest.json'))) {
    return path.join(dir, top[0]!.name);
  }
  throw new UserInputError(
    'the archive has no manifest.json at its root or in its only top-level folder; archive the bundle folder itself (tar czf bundle.tar.gz -C <bundle-dir> .)',
  );
}

/** Prefix of every folder an upload makes; `sweepUploads` removes only these. */
const UPLOAD_PREFIX = 'driftql-upload-';

/** A fresh folder for one upload in `root` (created when missing; the system temp folder by default). */
export async function uploadFolder(root: string = os.tmpdir()): Promise<string> {
  await fs.promises.mkdir(root, { recursive: true });
  return fs.promises.mkdtemp(path.join(root, UPLOAD_PREFIX));
}

/**
 * Removes the upload folders in `root` (only those, whatever else it holds); returns how many.
 * Run at start, before any upload is accepted: no job owns them then. Never on a folder another
 * running server uses for its uploads.
 */
export async function sweepUploads(root: string): Promise<number> {
  let names: string[];
  try {
    names = await fs.promises.readdir(root);
  } catch {
    return 0; // no folder yet
  }
  const ours = names.filter((n) => n.startsWith(UPLOAD_PREFIX));
  for (const n of ours) await removeDir(path.join(root, n)).catch(() => undefined);
  return ours.length;
}
