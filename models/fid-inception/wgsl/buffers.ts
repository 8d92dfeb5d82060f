/**
 * GPU buffers of the WGSL engine: the activation slots of graph.ts sized for a number of images, the features
 * and logits rows, the raw pixel upload, the uniform slots of every dispatch, and a pool of mappable buffers
 * for readback (two forwards may be in flight, each reads back through its own).
 */

/** Bytes per uniform slot (WebGPU's minUniformBufferOffsetAlignment is at most 256). */
export const UNIFORM_SLOT_BYTES = 256;

/** A storage buffer (read and written by kernels, copied from and to). */
export function storageBuffer(device: GPUDevice, bytes: number, label: string): GPUBuffer {
  return device.createBuffer({
    label,
    size: Math.max(16, Math.ceil(bytes / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
  });
}

/** A storage buffer holding `data` (weights, tables). */
export function constantBuffer(device: GPUDevice, data: Float32Array, label: string): GPUBuffer {
  const buffer = storageBuffer(device, data.byteLength, label);
  device.queue.writeBuffer(buffer, 0, data as Float32Array<ArrayBuffer>);
  return buffer;
}

/** Workgroup counts folded into a 2D grid that respects the per-dimension limit (kernels linearize it). */
export function dispatchGrid(workgroups: number, maxPerDimension: number): [number, number] {
  if (workgroups <= maxPerDimension) return [Math.max(1, workgroups), 1];
  const y = Math.ceil(workgroups / maxPerDimension);
  return [Math.ceil(workgroups / y), y];
}

/** Writes `bytes` to a buffer, padding a length that is not a multiple of 4 (writeBuffer's rule). */
export function writePadded(queue: GPUQueue, buffer: GPUBuffer, offset: number, bytes: Uint8Array): void {
  const whole = bytes.byteLength & ~3;
  if (whole > 0) {
    queue.writeBuffer(buffer, offset, bytes.buffer as ArrayBuffer, bytes.byteOffset, whole);
  }
  if (whole < bytes.byteLength) {
    const tail = new Uint8Array(4);
    tail.set(bytes.subarray(whole));
    queue.writeBuffer(buffer, offset + whole, tail);
  }
}

/** Mappable buffers of one size for readback, reused once unmapped. */
export class ReadbackPool {
  readonly #device: GPUDevice;
  readonly #bytes: number;
  readonly #free: GPUBuffer[] = [];
  readonly #all: GPUBuffer[] = [];

  constructor(device: GPUDevice, bytes: number) {
    this.#device = device;
    this.#bytes = bytes;
  }

  /** A buffer that is not mapped and not the target of a pending copy. */
  take(): GPUBuffer {
    const b = this.#free.pop();
    if (b) return b;
    const created = this.#device.createBuffer({
      label: "readback",
      size: this.#bytes,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    this.#all.push(created);
    return created;
  }

  /** Returns an unmapped buffer to the pool. */
  give(b: GPUBuffer): void {
    this.#free.push(b);
  }

  /** Destroys every buffer of the pool. */
  destroy(): void {
    for (const b of this.#all) b.destroy();
    this.#all.length = 0;
    this.#free.length = 0;
  }
}
