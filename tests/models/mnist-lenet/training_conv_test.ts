import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers"; // registers the gradients of every tfjs-core op
import { initBackend } from "../../../models/runtime/backend.ts";
import { trainingConv } from "../../../models/mnist-lenet/training_conv.ts";

function values(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647 - 0.5;
  });
}

Deno.test("trainingConv's value and gradients on WASM match a naive valid convolution and its derivatives", async () => {
  await initBackend("wasm");
  const [N, H, W, Ci, K, Co] = [2, 7, 6, 3, 3, 4];
  const Ho = H - K + 1, Wo = W - K + 1;
  const x = values(N * H * W * Ci, 1), w = values(K * K * Ci * Co, 2), r = values(N * Ho * Wo * Co, 3);
  const xi = (n: number, h: number, c: number, ch: number) => ((n * H + h) * W + c) * Ci + ch;
  const wi = (a: number, b: number, ci: number, co: number) => ((a * K + b) * Ci + ci) * Co + co;
  const yi = (n: number, h: number, c: number, co: number) => ((n * Ho + h) * Wo + c) * Co + co;

  // Loss L = sum(conv(x, w) * r): dL/dy = r, so dL/dw and dL/dx are sums of r against x and w.
  const y = new Float64Array(N * Ho * Wo * Co),
    dx = new Float64Array(x.length),
    dw = new Float64Array(w.length);
  for (let n = 0; n < N; n++) {
    for (let h = 0; h < Ho; h++) {
      for (let c = 0; c < Wo; c++) {
        for (let co = 0; co < Co; co++) {
          for (let a = 0; a < K; a++) {
            for (let b = 0; b < K; b++) {
              for (let ci = 0; ci < Ci; ci++) {
                y[yi(n, h, c, co)] += x[xi(n, h + a, c + b, ci)] * w[wi(a, b, ci, co)];
                dw[wi(a, b, ci, co)] += x[xi(n, h + a, c + b, ci)] * r[yi(n, h, c, co)];
                dx[xi(n, h + a, c + b, ci)] += w[wi(a, b, ci, co)] * r[yi(n, h, c, co)];
              }
            }
          }
        }
      }
    }
  }
  const xt = tf.tensor4d(x, [N, H, W, Ci]),
    wt = tf.tensor4d(w, [K, K, Ci, Co]),
    rt = tf.tensor4d(r, [N, Ho, Wo, Co]);
  const value = trainingConv(xt, wt);
  const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(trainingConv(a as tf.Tensor4D, b as tf.Tensor4D), rt))
  )([xt, wt]);
  const close = (got: Float32Array, want: Float64Array, what: string) => {
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++) {
      assert.ok(Math.abs(got[i] - want[i]) < 1e-5, `${what}[${i}]: ${got[i]} vs ${want[i]}`);
    }
  };
  close((await value.data()) as Float32Array, y, "y");
  close((await gw.data()) as Float32Array, dw, "dL/dw");
  close((await gx.data()) as Float32Array, dx, "dL/dx");
  tf.dispose([xt, wt, rt, value, gx, gw]);
});
