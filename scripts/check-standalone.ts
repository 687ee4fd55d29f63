/**
 * The repository stands alone: no tracked file may point outside it or at something that is not
 * in it. A clone, `npm install` and `npm test` must work with nothing beside the clone, so every
 * relative path written in the code and the docs (imports, links, shell examples) has to resolve
 * to a file or folder of the repository. A code sample inside a Markdown fence whose first line is
 * a comment naming a repository file (`// worker/rules/routes.ts`) is read relative to that file;
 * in any fence only a path leaving the repository counts (samples may name files to be created).
 * Run by `npm run lint`; exits non-zero and lists each offending line.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
// A path starting with ./ or ../ where a path can start (after a quote, a space, `(`, `[`, `@` or
// `=`, so not `/\./g` in a regex), up to the first character that cannot be part of it.
const RELATIVE_PATH = /(?<=^|[\s'"`(@=[])\.{1,2}\/[^\s'"`()<>[\]{},;*]*/g;
// How an import names a TypeScript module: without extension, with `.js`, or a folder's index.
const MODULE_SUFFIXES = ['', '.ts', '.tsx', '/index.ts'];

function trackedFiles(): string[] {
  const output = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' });
  // A tracked file deleted in the working tree has nothing left to check.
  return output
    .split('\0')
    .filter((file) => file && !file.endsWith('package-lock.json') && existsSync(resolve(root, file)));
}

function problemWith(base: string, path: string, inFence: boolean): string | null {
  const target = resolve(root, dirname(base), path.replace(/[?#].*$/, '').replace(/[.:]$/, ''));
  if (relative(root, target).startsWith('..')) return `${path} leaves the repository`;
  if (inFence) return null;
  const candidates = MODULE_SUFFIXES.flatMap((suffix) => [target + suffix, target.replace(/\.js$/, '.ts') + suffix]);
  return candidates.some((candidate) => existsSync(candidate)) ? null : `${path} does not exist`;
}

/** The repository file a fenced sample quotes, named by its first line: `// worker/x.ts` or `# scripts/y.sh`. */
function quotedFile(firstLine: string): string | null {
  const named = /^\s*(?:\/\/|#)\s*([\w./-]+\.\w+)\s*$/.exec(firstLine)?.[1];
  return named && existsSync(resolve(root, named)) ? named : null;
}

function problemsIn(file: string): string[] {
  const text = readFileSync(resolve(root, file), 'utf8');
  if (text.includes('\0')) return []; // binary
  const markdown = file.endsWith('.md');
  const lines = text.split('\n');
  let inFence = false;
  let base = file;
  return lines.flatMap((line, index) => {
    if (markdown && line.trimStart().startsWith('```')) {
      inFence = !inFence;
      base = (inFence && quotedFile(lines[index + 1] ?? '')) || file;
    }
    return (line.match(RELATIVE_PATH) ?? [])
      .map((path) => problemWith(base, path, markdown && inFence))
      .filter((problem) => problem !== null)
      .map((problem) => `${file}:${index + 1}: ${problem}`);
  });
}

const problems = trackedFiles().flatMap(problemsIn);
if (problems.length > 0) {
  console.error(`Paths that do not stay inside the repository:\n${problems.join('\n')}`);
  process.exit(1);
}
console.log('Stand-alone: every relative path resolves inside the repository.');
