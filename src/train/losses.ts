/**
 * The adversarial losses of Goodfellow et al. 2014
 * (https://arxiv.org/abs/1406.2661), written on D's logits so that
 * log D and log(1 − D) are computed without overflow:
 *   −log D(x)       = softplus(−logit)
 *   −log(1 − D(x))  = softplus(logit)
 *
 * D ascends Eq. 1, V(D, G) = E_x[log D(x)] + E_z[log(1 − D(G(z)))], so it
 * minimises the two binary cross-entropy terms below. G either descends
 * log(1 − D(G(z))) as in Eq. 1 ("minimax"), or, as Section 3 of the paper
 * advises for early training, ascends log D(G(z)) ("non-saturating").
 *
 * @module
 */
import { tf } from "../backend/tf.ts";
import type { GeneratorLoss } from "./config.ts";

/** Mean of −log D(x) over the batch: D's loss on real data. */
export function realLoss(logits: tf.Tensor): tf.Scalar {
  return tf.mean(tf.softplus(tf.neg(logits)));
}

/** Mean of −log(1 − D(G(z))): D's loss on generated data. */
export function fakeLoss(logits: tf.Tensor): tf.Scalar {
  return tf.mean(tf.softplus(logits));
}

/**
 * G's loss on D's logits for generated data.
 *
 * @param kind `non-saturating`: −log D(G(z)); `minimax`: log(1 − D(G(z))).
 */
export function generatorLoss(
  logits: tf.Tensor,
  kind: GeneratorLoss,
): tf.Scalar {
  return kind === "non-saturating"
    ? realLoss(logits)
    : tf.neg(fakeLoss(logits));
}

/** Fraction of `logits` on the wrong side of D(x) = ½ for `label`. */
export function errorRate(logits: tf.Tensor, label: 0 | 1): tf.Scalar {
  const wrong = label === 1 ? tf.lessEqual(logits, 0) : tf.greater(logits, 0);
  return tf.mean(tf.cast(wrong, "float32"));
}
