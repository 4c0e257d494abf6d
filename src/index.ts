/**
 * remapdb's public entry point. Today it offers the layers that exist: the simulated
 * kernel, the buffer pool, the key encoding and the configuration loader; the embedded
 * database API (`open(dir, options)`) arrives with the storage engine.
 */

export * as simKernel from '../sim-kernel/index.js';
export { Kernel, type KernelConfig, type KernelConfigInput } from '../sim-kernel/index.js';
export {
  BufferPool, BufferPoolError, type BufferPoolOptions, type BufferPoolStats, type PoolSnapshot, openBufferPool,
} from '../bufferpool/index.js';
export { type KeyPart, compareBytes, decodeKey, encodeKey } from '../storage/index.js';
export { loadConfig, toKernelConfig } from './config/index.js';
