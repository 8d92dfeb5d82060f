/**
 * Decoding an upload's PNG/JPEG files: on the request thread (how the service did it before) vs on the
 * extractor pool (ExtractorPool.decodeImages, what the service does now), in one process:
 *   deno run -A bench/image_decode_bench.ts [--side 1024] [--images 16] [--workers 2]
 *
 * Reports, per format, the wall time of both and how long the calling thread was blocked: the event loop is
 * probed every 5 ms while the pool decodes, and the longest gap between probes is what another request would
 * have waited. The images are smooth gradients plus noise (PNG compresses them about 3x, JPEG at quality 90).
 */
import { encode as encodePng } from "fast-png";
import { encode as encodeJpeg } from "jpeg-js";
import { parseArgs } from "node:util";
import { ExtractorPool } from "../models/runtime/worker_pool.ts";
import { checkImageFiles, decodeImageFiles, DEFAULT_MAX_PIXELS } from "../src/images/png_jpeg.ts";
import { seededRandom } from "../tools/arrays.ts";
import { measureStall } from "../tools/event_loop_stall.ts";

const { values: args } = parseArgs({
  options: {
    side: { type: "string", default: "1024" },
    images: { type: "string", default: "16" },
    workers: { type: "string", default: "2" },
  },
});
const side = Number(args.side), count = Number(args.images), workers = Number(args.workers);

/** count RGB images side x side as PNG or JPEG files. */
function files(format: "png" | "jpeg"): Uint8Array[] {
  const r = seededRandom(3);
  return Array.from({ length: count }, (_, k) => {
    const rgba = new Uint8Array(side * side * 4);
    for (let p = 0; p < side * side; p++) {
      const x = p % side, y = Math.floor(p / side);
      for (let c = 0; c < 3; c++) rgba[4 * p + c] = (x / 4 + y / 8 + 40 * c + 17 * k + 24 * r()) & 255;
      rgba[4 * p + 3] = 255;
    }
    if (format === "jpeg") return encodeJpeg({ data: rgba, width: side, height: side }, 90).data;
    const rgb = new Uint8Array(side * side * 3);
    for (let p = 0; p < side * side; p++) rgb.set(rgba.subarray(4 * p, 4 * p + 3), 3 * p);
    return encodePng({ width: side, height: side, data: rgb, channels: 3, depth: 8 });
  });
}

const pool = new ExtractorPool({ workers });
console.log(
  `${count} images of ${side} x ${side}, pool of ${workers} workers, ${navigator.hardwareConcurrency} cores`,
);
console.log("format  bytes/img  request thread: wall ms (blocked ms)  pool: wall ms (blocked ms)  speed-up");
try {
  for (const format of ["png", "jpeg"] as const) {
    const f = files(format);
    checkImageFiles(f, DEFAULT_MAX_PIXELS);
    await pool.decodeImages(f.slice(0, workers)); // starts the workers
    const inThread = await measureStall(() => Promise.resolve(decodeImageFiles(f)));
    const onPool = await measureStall(() => pool.decodeImages(f));
    const bytes = Math.round(f.reduce((s, x) => s + x.length, 0) / f.length);
    console.log(
      `${format.padEnd(6)}  ${String(bytes).padStart(9)}  ${inThread.wallMs.toFixed(0).padStart(20)} (${
        inThread.blockedMs.toFixed(0)
      })  ${onPool.wallMs.toFixed(0).padStart(20)} (${onPool.blockedMs.toFixed(0)})  ${
        (inThread.wallMs / onPool.wallMs).toFixed(2)
      }x`,
    );
  }
} finally {
  await pool.close();
}
