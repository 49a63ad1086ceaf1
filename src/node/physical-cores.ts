/**
 * Physical cores, for the default thread count (one kernel thread per physical core, as llama.cpp defaults:
 * hyperthreads of one core share its SIMD units and its path to memory; not measured here — this machine has
 * no SMT). Linux: the distinct `thread_siblings_list` of the online CPUs (sysfs); elsewhere, or when sysfs
 * cannot be read, undefined.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** CPU numbers of a sysfs list such as "0-3,8,10-11". */
export function parseCpuList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.trim().split(',')) {
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return [];
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let i = a; i <= b && out.length < 1 << 16; i++) out.push(i);
  }
  return out;
}

/** Physical cores among the online CPUs, read under `root` (default /sys/devices/system/cpu); undefined if unknown. */
export function physicalCoreCount(root = '/sys/devices/system/cpu'): number | undefined {
  try {
    const cpus = parseCpuList(readFileSync(join(root, 'online'), 'utf8'));
    if (cpus.length === 0) return undefined;
    const cores = new Set<string>();
    for (const cpu of cpus) cores.add(readFileSync(join(root, `cpu${cpu}`, 'topology', 'thread_siblings_list'), 'utf8').trim());
    return cores.size;
  } catch {
    return undefined;
  }
}
