/** Physical cores from a sysfs-like tree: hyperthreads of a core count once; unreadable trees give undefined. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCpuList, physicalCoreCount } from '../../src/node/physical-cores.js';
import { defaultThreadCount } from '../../src/node/worker-pool.js';

function fakeSysfs(online: string, siblings: Record<number, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'mamba-cpu-'));
  writeFileSync(join(root, 'online'), online + '\n');
  for (const [cpu, list] of Object.entries(siblings)) {
    mkdirSync(join(root, `cpu${cpu}`, 'topology'), { recursive: true });
    writeFileSync(join(root, `cpu${cpu}`, 'topology', 'thread_siblings_list'), list + '\n');
  }
  return root;
}

test('parseCpuList: ranges and singles; garbage gives none', () => {
  assert.deepEqual(parseCpuList('0-3,8,10-11\n'), [0, 1, 2, 3, 8, 10, 11]);
  assert.deepEqual(parseCpuList('5'), [5]);
  assert.deepEqual(parseCpuList('0-x'), []);
});

test('physicalCoreCount: two hyperthreads per core count once; no SMT; offline CPUs ignored; unreadable = undefined', () => {
  assert.equal(physicalCoreCount(fakeSysfs('0-3', { 0: '0,2', 1: '1,3', 2: '0,2', 3: '1,3' })), 2);
  assert.equal(physicalCoreCount(fakeSysfs('0-1', { 0: '0', 1: '1' })), 2);
  assert.equal(physicalCoreCount(fakeSysfs('0,2', { 0: '0-1', 2: '2-3' })), 2);
  assert.equal(physicalCoreCount(fakeSysfs('0-2', { 0: '0', 1: '1' })), undefined); // cpu2 has no topology
  assert.equal(physicalCoreCount(join(tmpdir(), 'no-such-sysfs-dir')), undefined);
});

test('defaultThreadCount: at least 1, at most the CPUs this process may use', () => {
  const n = defaultThreadCount();
  assert.ok(n >= 1 && n <= availableParallelism());
  assert.equal(defaultThreadCount(), n);
});
