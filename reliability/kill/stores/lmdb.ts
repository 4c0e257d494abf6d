/**
 * LMDB under the kill test, opened as the benchmarks open it (bench/workloads/stores.ts
 * openStore, not imported from there because it loads remapdb and SQLite too: lmdb-js,
 * overlappingSync off so a commit returns after its flush; full =
 * default, normal = noMetaSync, off = noSync), with named databases `rows` (uint32 key,
 * string value) and `acc` (key 0: the accumulator, JSON). LMDB has no checkpoint: its
 * copy-on-write B+tree commits by switching a meta page.
 */

import * as fs from 'node:fs';

import { type Database, open as openLmdb, type RootDatabase } from 'lmdb';

import type { KillConfig } from '../configs.js';
import { type Accumulator, type Snapshot, valueOf } from '../workload.js';
import type { Engine, KillStore } from './types.js';

/** The map: the most the file may grow to. A round writes a few MiB at most. */
const MAP_BYTES = 256 * 1024 * 1024;
const ACC_KEY = 0;

interface Env {
  env: RootDatabase<Buffer, Buffer>;
  rows: Database<string, number>;
  acc: Database<Accumulator, number>;
}

function openEnv(dir: string, c: KillConfig): Env {
  fs.mkdirSync(dir, { recursive: true });
  // A directory path (no extension): lmdb-js keeps data.mdb and lock.mdb inside it.
  const env = openLmdb<Buffer, Buffer>({
    path: dir, encoding: 'binary', keyEncoding: 'binary', compression: false, overlappingSync: false, mapSize: MAP_BYTES,
    noSync: c.sync === 'off', noMetaSync: c.sync === 'normal',
  });
  return {
    env,
    rows: env.openDB<string, number>({ name: 'rows', encoding: 'string', keyEncoding: 'uint32' }),
    acc: env.openDB<Accumulator, number>({ name: 'acc', encoding: 'json', keyEncoding: 'uint32' }),
  };
}

function openStore(dir: string, c: KillConfig): KillStore {
  const { env, rows, acc } = openEnv(dir, c);
  return {
    nextKey: () => {
      for (const k of rows.getKeys({ reverse: true, limit: 1 })) return k + 1;
      return 1;
    },
    commit: (i) => {
      env.transactionSync(() => {
        rows.putSync(i, valueOf(i));
        const a = acc.get(ACC_KEY) ?? { count: 0, sum: 0 };
        acc.putSync(ACC_KEY, { count: a.count + 1, sum: a.sum + i });
      });
    },
    checkpoint: null,
    checkpointDue: null,
  };
}

async function snapshot(dir: string, c: KillConfig): Promise<Snapshot> {
  const { env, rows, acc } = openEnv(dir, c);
  try {
    const keys: number[] = [];
    const badValues: number[] = [];
    for (const { key, value } of rows.getRange()) {
      keys.push(key);
      if (value !== valueOf(key)) badValues.push(key);
    }
    // lmdb-js has no consistency check to run: a readable meta page and tree are its check.
    return { keys, badValues, acc: acc.get(ACC_KEY) ?? null, engineProblems: [] };
  } finally {
    await env.close();
  }
}

export const LMDB: Engine = { open: openStore, snapshot };
