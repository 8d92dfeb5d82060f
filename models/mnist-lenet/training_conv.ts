/** The convolution train.ts differentiates: tfjs-backend-wasm lacks Conv2DBackpropFilter, so it is rebuilt here. */
import * as tf from "@tensorflow/tfjs-core";
import type { ConvFn } from "./network.ts";

/**
 * Valid stride-1 conv whose gradients use only kernels tfjs-backend-wasm has. With x [N,H,W,Ci] and
 * dy [N,Ho,Wo,Co]: dW[a,b,ci,co] = sum_{n,i,j} x[n,i+a,j+b,ci] dy[n,i,j,co], which is conv2d of x viewed as
 * [Ci,H,W,N] with dy viewed as a [Ho,Wo,N,Co] filter; dx is conv2dTranspose (Conv2DBackpropInput).
 */
export const trainingConv: ConvFn = tf.customGrad((x, w, save) => {
  const xs = x as tf.Tensor4D, ws = w as tf.Tensor4D;
  (save as unknown as (tensors: tf.Tensor[]) => void)([xs, ws]);
  return {
    value: tf.conv2d(xs, ws, 1, "valid"),
    gradFunc: (dy, saved) => {
      const [sx, sw] = saved as [tf.Tensor4D, tf.Tensor4D];
      const dy4 = dy as tf.Tensor4D;
      const dx = tf.conv2dTranspose(dy4, sw, sx.shape, 1, "valid");
      const dwT = tf.conv2d(tf.transpose(sx, [3, 1, 2, 0]), tf.transpose(dy4, [1, 2, 0, 3]), 1, "valid");
      return [dx, tf.transpose(dwT, [1, 2, 0, 3])];
    },
  };
}) as unknown as ConvFn;
