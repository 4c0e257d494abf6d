/**
 * Loaded images: the load phase writes each engine kind's database once per (workload,
 * params) into `<imagesDir>/<key>/<kind>/`, with a manifest (image.json) written last —
 * an image without a manifest is an interrupted load and is loaded again. The loaded
 * data is a function of the params alone (TPC-C's loader draws from its fixed
 * LOAD_SEED; TPC-B's and YCSB's loads are not random), so runs with different seeds
 * share an image; the run seed drives the terminals. Every
 * cell of a run copies its kind's image, so all remapdb strategies start from the same
 * page file and each peer from its own same bytes. Images are kept for later runs with
 * the same key unless the caller asks for a fresh load.
 */

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { ImageManifest, WorkloadSpec } from './types.js';

/** Bumped when a workload's loader or an engine's on-disk format changes. */
export const IMAGE_VERSION = 2;
export const MANIFEST_FILE = 'image.json';

/** The image directory of `kind` for this workload and params. */
export function imageDir(imagesDir: string, workload: WorkloadSpec, kind: string): string {
  const key = createHash('sha256').update(JSON.stringify({ v: IMAGE_VERSION, workload })).digest('hex').slice(0, 12);
  return path.join(imagesDir, `${workload.name}-${key}`, kind);
}

export function writeManifest(dir: string, m: ImageManifest): void {
  const tmp = path.join(dir, `${MANIFEST_FILE}.tmp`);
  fs.writeFileSync(tmp, `${JSON.stringify(m, null, 2)}\n`);
  fs.renameSync(tmp, path.join(dir, MANIFEST_FILE));
}

/** The manifest of a complete image; throws naming the directory if there is none. */
export function readManifest(dir: string): ImageManifest {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`no complete image in ${dir} (${MANIFEST_FILE} missing: the load did not finish)`);
  }
  const m = JSON.parse(text) as ImageManifest;
  if (m.version !== IMAGE_VERSION) throw new Error(`image ${dir} has version ${m.version}; this harness writes ${IMAGE_VERSION}`);
  return m;
}

/**
 * What workload a database directory was loaded with, from its manifest of any image
 * version: the harness reuses only images of its own version (readManifest), but a
 * loaded database outlives that — `remapdb check` and `serve --run` need only the
 * workload, and the engine upgrades an older page file itself. Throws naming the file if
 * it is not a manifest.
 */
export function readWorkloadManifest(dir: string): ImageManifest {
  const file = path.join(dir, MANIFEST_FILE);
  let m: unknown;
  try {
    m = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} cannot be read as a load manifest: ${(err as Error).message}`);
  }
  const w = (m as { workload?: { name?: unknown; params?: unknown } } | null)?.workload;
  if (typeof w?.name !== 'string' || typeof w.params !== 'object' || w.params === null) {
    throw new Error(`${file} is not a load manifest: it names no workload and params`);
  }
  return m as ImageManifest;
}

/** The manifest if `dir` holds a complete image of this version, else null (and a partial image is removed). */
export function existingImage(dir: string): ImageManifest | null {
  if (!fs.existsSync(dir)) return null;
  try {
    return readManifest(dir);
  } catch {
    fs.rmSync(dir, { recursive: true, force: true });
    return null;
  }
}
