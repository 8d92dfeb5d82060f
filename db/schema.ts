/**
 * Drizzle schema: the whole durable state of fidstream. Handlers are stateless; every process reads and writes here.
 * Regenerate migrations after a change with `deno task db:generate`.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/** bytea column (drizzle-orm 0.45 has none built in); postgres.js returns a Buffer, PGlite a Uint8Array. */
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => "bytea",
  fromDriver: (v) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength),
});

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();

/** Real-data statistics that runs are compared against. */
export const references = pgTable("references", {
  id: text("id").primaryKey(),
  /** Owning project: keys of other projects never see it. */
  projectId: text("project_id").notNull().default("default"),
  name: text("name").notNull(),
  dim: integer("dim").notNull(),
  /** "stats": uploaded mu/sigma (no features, n unknown); "features": built from feature batches. */
  source: text("source").notNull(),
  /**
   * The feature space its features live in ("mnist-lenet", "fid-inception:2048", ...) when known: image uploads
   * to it and to its runs are extracted there. Null for features computed elsewhere (name unknown).
   */
  featureSpace: text("feature_space"),
  n: bigint("n", { mode: "number" }).notNull().default(0),
  /** For source "stats": mu (float64, D) and sigma (float64, packed upper triangle). */
  mu: bytea("mu"),
  sigma: bytea("sigma"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** A run: generated samples streamed against one reference. */
export const runs = pgTable("runs", {
  id: text("id").primaryKey(),
  /** Owning project: keys of other projects never see it. */
  projectId: text("project_id").notNull().default("default"),
  name: text("name").notNull(),
  referenceId: text("reference_id").notNull().references(() => references.id),
  dim: integer("dim").notNull(),
  tags: jsonb("tags").$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  config: jsonb("config").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  /** "streaming" accepts batches; "finalizing" and "finalized" refuse them. */
  status: text("status").notNull().default("streaming"),
  /** Total accepted samples (committed with each batch, so it never double counts). */
  n: bigint("n", { mode: "number" }).notNull().default(0),
  /** Keep feature bytes after folding (needed for KID); false = statistics only, bounded storage. */
  retainFeatures: boolean("retain_features").notNull().default(true),
  latest: jsonb("latest").$type<Record<string, unknown>>(),
  /** Samples behind `latest` over every kind (features + reconstructions + latents): only grows. */
  latestProgress: bigint("latest_progress", { mode: "number" }).notNull().default(-1),
  final: jsonb("final").$type<Record<string, unknown>>(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** Every accepted batch of a run or a reference, durable before the client's 200. */
export const batches = pgTable("batches", {
  seq: bigserial("seq", { mode: "number" }).primaryKey(),
  /** Run id or reference id (both are unique ids). */
  ownerId: text("owner_id").notNull(),
  idempotencyKey: text("idempotency_key").notNull(),
  bodySha256: text("body_sha256").notNull(),
  n: integer("n").notNull(),
  dim: integer("dim").notNull(),
  /** Element type of `features`: "float32" or "float64" (kept as uploaded, so float64 clients lose nothing). */
  dtype: text("dtype").notNull().default("float32"),
  /** Owner's total accepted samples after this batch: replayed to a retry with the same key. */
  nAfter: bigint("n_after", { mode: "number" }).notNull(),
  /** Little-endian N x D of `dtype`; null once folded when the owner does not retain features. */
  features: bytea("features"),
  folded: boolean("folded").notNull().default(false),
  createdAt: createdAt(),
}, (t) => [
  uniqueIndex("batches_owner_key").on(t.ownerId, t.idempotencyKey),
  index("batches_owner_unfolded").on(t.ownerId, t.folded),
]);

/** Folded statistics per owner: encoded float64 moments of every folded batch. */
export const checkpoints = pgTable("checkpoints", {
  ownerId: text("owner_id").primaryKey(),
  version: integer("version").notNull(),
  n: bigint("n", { mode: "number" }).notNull(),
  moments: bytea("moments").notNull(),
  /**
   * Encoded moments of the same rows scaled to unit length (the Vendi score's running state). Null in
   * checkpoints written before it was kept: those owners' Vendi score is unknown.
   */
  unitMoments: bytea("unit_moments"),
  updatedAt: updatedAt(),
});

/** Cached expensive per-reference factor for the Frechet distance, valid for the reference's n. */
export const referenceFactors = pgTable("reference_factors", {
  referenceId: text("reference_id").primaryKey().references(() => references.id),
  n: bigint("n", { mode: "number" }).notNull(),
  factor: bytea("factor").notNull(),
  createdAt: createdAt(),
});

/** Metric history of a run: one row per partial evaluation, plus the final one. */
export const metrics = pgTable("metrics", {
  seq: bigserial("seq", { mode: "number" }).primaryKey(),
  runId: text("run_id").notNull().references(() => runs.id),
  n: bigint("n", { mode: "number" }).notNull(),
  kind: text("kind").notNull(),
  values: jsonb("values").$type<Record<string, unknown>>().notNull(),
  at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index("metrics_run").on(t.runId, t.seq)]);

/** Reconstruction and latent uploads of a run: only their float64 running sums are kept (they are small). */
export const sampleSums = pgTable("sample_sums", {
  seq: bigserial("seq", { mode: "number" }).primaryKey(),
  runId: text("run_id").notNull().references(() => runs.id),
  /** "reconstructions" or "latents". */
  kind: text("kind").notNull(),
  idempotencyKey: text("idempotency_key").notNull(),
  bodySha256: text("body_sha256").notNull(),
  n: integer("n").notNull(),
  /** Total samples of this kind after this upload: replayed to a retry with the same key. */
  nAfter: bigint("n_after", { mode: "number" }).notNull(),
  sums: jsonb("sums").$type<Record<string, unknown>>().notNull(),
  createdAt: createdAt(),
}, (t) => [uniqueIndex("sample_sums_run_kind_key").on(t.runId, t.kind, t.idempotencyKey)]);

/** Projects own runs and references; API keys belong to one project. */
export const projects = pgTable("projects", {
  id: text("id").primaryKey(),
  createdAt: createdAt(),
});

/** API keys: only a SHA-256 of the secret is stored; the key is shown once, when created. */
export const apiKeys = pgTable("api_keys", {
  id: text("id").primaryKey(),
  projectId: text("project_id").notNull().references(() => projects.id),
  /** "read", "write" (implies read) or "admin" (implies write; manages the project's keys). */
  scope: text("scope").notNull(),
  secretSha256: text("secret_sha256").notNull(),
  createdAt: createdAt(),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
});

/** A run's uploaded VAE halves (TensorFlow.js models): model.json as uploaded plus its weight shards concatenated. */
export const runModels = pgTable("run_models", {
  runId: text("run_id").notNull().references(() => runs.id),
  /** "decoder" or "encoder"; a new upload of a role replaces the old one. */
  role: text("role").notNull(),
  /** "layers-model" or "graph-model". */
  format: text("format").notNull(),
  modelJson: text("model_json").notNull(),
  weights: bytea("weights").notNull(),
  /** SHA-256 of model.json and weights: names this exact model in image and generated-batch keys. */
  sha256: text("sha256").notNull(),
  /** What fidstream worked out from the model and the user's options (latent dim, shapes, value ranges). */
  info: jsonb("info").$type<Record<string, unknown>>().notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [uniqueIndex("run_models_run_role").on(t.runId, t.role)]);

/** PNG images drawn for a run (sample grids, traversals, ...), one per distinct seeded request. */
export const runImages = pgTable("run_images", {
  id: text("id").primaryKey(),
  runId: text("run_id").notNull().references(() => runs.id),
  /** "samples", "traversal", "interpolation" or "dimensions". */
  kind: text("kind").notNull(),
  caption: text("caption").notNull(),
  /** The canonical request (kind, seed, sizes, the models' sha256) the image was drawn from. */
  params: jsonb("params").$type<Record<string, unknown>>().notNull(),
  /** SHA-256 of the canonical request: asking again returns this image instead of drawing another. */
  requestKey: text("request_key").notNull(),
  width: integer("width").notNull(),
  height: integer("height").notNull(),
  png: bytea("png").notNull(),
  createdAt: createdAt(),
}, (t) => [
  uniqueIndex("run_images_run_request").on(t.runId, t.requestKey),
  index("run_images_run_created").on(t.runId, t.createdAt),
]);

/**
 * Which process is evaluating an owner's partial metrics (a lease with an expiry, so a crashed holder's ends).
 * Another process that wants an evaluation meanwhile sets `pending` instead of computing the same moments
 * again; the holder evaluates once more before it lets go, so no batch is left out.
 */
export const metricLeases = pgTable("metric_leases", {
  ownerId: text("owner_id").primaryKey(),
  /** The holding process's id (random per process). */
  holder: text("holder").notNull(),
  pending: boolean("pending").notNull().default(false),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
});
