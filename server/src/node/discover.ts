/**
 * Finds the C/C++ sources below some paths, as git would see them: `.gitignore` files (nested ones too) and
 * exclude globs are respected, `.git`/`node_modules` are skipped, and symlink loops are detected by real path.
 * Used by the CLI and by the server's workspace scan, so both see the same files.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';
import { isSourceFile } from '../analysis/parser';

export interface DiscoverOptions {
  /** Globs matched against the path relative to the scanned root (and the absolute path). */
  exclude?: readonly string[];
  respectGitignore?: boolean;
  /** Problems that do not stop the walk (unreadable folder, symlink loop). */
  onWarning?: (message: string) => void;
  /** Checked between folders; return true to stop early. */
  isCancelled?: () => boolean;
}

const ALWAYS_SKIPPED = new Set(['.git', 'node_modules', '.vs', '.svn', '.hg']);

interface IgnoreLayer {
  base: string;
  rules: Ignore;
}

function toPosix(value: string): string {
  return value.split(path.sep).join('/');
}

/** Yields absolute paths of source files, in a stable (sorted) order. */
export async function* discoverSourceFiles(roots: readonly string[], options: DiscoverOptions = {}): AsyncGenerator<string> {
  const excludeMatcher = options.exclude && options.exclude.length > 0 ? picomatch(options.exclude as string[], { dot: true }) : undefined;
  const seenDirectories = new Set<string>();
  const seenFiles = new Set<string>();
  const warn = options.onWarning ?? (() => undefined);

  for (const root of roots) {
    const absoluteRoot = path.resolve(root);
    const stat = await fs.stat(absoluteRoot);
    if (stat.isFile()) {
      const real = await fs.realpath(absoluteRoot);
      if (!seenFiles.has(real)) {
        seenFiles.add(real);
        yield absoluteRoot;
      }
      continue;
    }
    const isExcluded = (absolute: string): boolean => {
      if (!excludeMatcher) return false;
      const relative = toPosix(path.relative(absoluteRoot, absolute));
      return excludeMatcher(relative) || excludeMatcher(toPosix(absolute)) || excludeMatcher(`${relative}/`);
    };
    const stack: { dir: string; layers: IgnoreLayer[] }[] = [{ dir: absoluteRoot, layers: [] }];
    while (stack.length > 0) {
      if (options.isCancelled?.()) return;
      const { dir, layers: parentLayers } = stack.pop()!;
      let real: string;
      try {
        real = await fs.realpath(dir);
      } catch (error) {
        warn(`cannot resolve ${dir}: ${(error as Error).message}`);
        continue;
      }
      if (seenDirectories.has(real)) {
        if (dir !== real) warn(`skipping ${dir}: symbolic link loop or folder already scanned`);
        continue;
      }
      seenDirectories.add(real);
      let entries: import('node:fs').Dirent[];
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (error) {
        warn(`cannot read folder ${dir}: ${(error as Error).message}`);
        continue;
      }
      let layers = parentLayers;
      if (options.respectGitignore !== false && entries.some((entry) => entry.name === '.gitignore' && entry.isFile())) {
        try {
          const rules = ignore().add(await fs.readFile(path.join(dir, '.gitignore'), 'utf8'));
          layers = [...parentLayers, { base: dir, rules }];
        } catch (error) {
          warn(`cannot read ${path.join(dir, '.gitignore')}: ${(error as Error).message}`);
        }
      }
      const ignored = (absolute: string, isDirectory: boolean): boolean =>
        layers.some((layer) => {
          const relative = toPosix(path.relative(layer.base, absolute));
          return relative !== '' && layer.rules.ignores(isDirectory ? `${relative}/` : relative);
        });
      const subdirectories: string[] = [];
      for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        const absolute = path.join(dir, entry.name);
        let isDirectory = entry.isDirectory();
        let isFile = entry.isFile();
        if (entry.isSymbolicLink()) {
          try {
            const target = await fs.stat(absolute);
            isDirectory = target.isDirectory();
            isFile = target.isFile();
          } catch {
            warn(`skipping ${absolute}: broken symbolic link`);
            continue;
          }
        }
        if (isDirectory) {
          if (ALWAYS_SKIPPED.has(entry.name) || ignored(absolute, true) || isExcluded(absolute)) continue;
          subdirectories.push(absolute);
        } else if (isFile && isSourceFile(entry.name) && !ignored(absolute, false) && !isExcluded(absolute)) {
          let realFile = absolute;
          try {
            realFile = await fs.realpath(absolute);
          } catch {
            continue;
          }
          if (seenFiles.has(realFile)) continue;
          seenFiles.add(realFile);
          yield absolute;
        }
      }
      for (const subdirectory of subdirectories.reverse()) stack.push({ dir: subdirectory, layers });
    }
  }
}

/** Reads a source file as text: UTF-8, or UTF-16 when it starts with a byte order mark; the BOM is dropped. */
export async function readSourceFile(filePath: string): Promise<string> {
  const bytes = await fs.readFile(filePath);
  return decodeSource(bytes);
}

export function decodeSource(bytes: Buffer): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    const swapped = Buffer.from(bytes.subarray(2, 2 + ((bytes.length - 2) & ~1)));
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3).toString('utf8');
  return bytes.toString('utf8');
}
