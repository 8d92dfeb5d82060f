/**
 * Test support for the WGSL engine: the WebGPU device of this test process (Mesa's software Vulkan in CI,
 * installed by .ci/run), and running one kernel on given inputs with a sentinel-filled output, so a test sees
 * both what a kernel wrote and that it wrote nothing else.
 */
import { type GpuContext, openGpu } from "../../../../models/fid-inception/wgsl/gpu.ts";
import { constantBuffer, UNIFORM_SLOT_BYTES } from "../../../../models/fid-inception/wgsl/buffers.ts";

/** The device, or null when this machine has no WebGPU adapter (the tests then say so and are ignored). */
export const GPU: GpuContext | null = await openGpu().catch(() => null);

/** A test name that says which adapter ran it, or why it was ignored. */
export function gpuTestName(name: string): string {
  return GPU
    ? `${name} [${GPU.adapter}]`
    : `${name} (IGNORED: no WebGPU adapter; CI installs mesa-vulkan-drivers)`;
}

/** Options of a Deno.test that needs the device. */
export function gpuTest(name: string, fn: (gpu: GpuContext) => Promise<void>): Deno.TestDefinition {
  return {
    name: gpuTestName(name),
    ignore: GPU === null,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: () => fn(GPU!),
  };
}

/** The value output buffers start with: any element a kernel should not touch still holds it afterwards. */
export const SENTINEL = -12345.5;

/**
 * Runs `pipeline` once: binding 0 the params, then `reads` (read-only storage), then an output of
 * `outFloats` floats filled with SENTINEL; returns the output.
 */
export async function runKernel(
  gpu: GpuContext,
  pipeline: GPUComputePipeline,
  layout: GPUBindGroupLayout,
  params: Uint32Array,
  reads: (Float32Array | Uint32Array)[],
  outFloats: number,
  grid: [number, number],
): Promise<Float32Array> {
  const { device } = gpu;
  const uniform = device.createBuffer({
    size: UNIFORM_SLOT_BYTES,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(uniform, 0, params as Uint32Array<ArrayBuffer>);
  const inputs = reads.map((r, i) =>
    constantBuffer(device, new Float32Array(r.buffer as ArrayBuffer, r.byteOffset, r.length), `in${i}`)
  );
  const out = constantBuffer(device, new Float32Array(outFloats).fill(SENTINEL), "out");
  const readback = device.createBuffer({
    size: out.size,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const group = device.createBindGroup({
    layout,
    entries: [uniform, ...inputs, out].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  device.pushErrorScope("validation");
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(...grid);
  pass.end();
  encoder.copyBufferToBuffer(out, 0, readback, 0, out.size);
  device.queue.submit([encoder.finish()]);
  const error = await device.popErrorScope();
  if (error) throw new Error(error.message);
  await readback.mapAsync(GPUMapMode.READ);
  const result = new Float32Array(readback.getMappedRange().slice(0, 4 * outFloats));
  readback.unmap();
  for (const b of [uniform, ...inputs, out, readback]) b.destroy();
  return result;
}
