/** Paths for tests: compiled tests run from dist/test/**, fixtures stay in the source tree. */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the test');
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRepoRoot();
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');
/** ../shared/data beside the checkout (CI places a copy there). */
export const SHARED_DATA = join(REPO_ROOT, '..', 'shared', 'data');

export function fixture(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}
