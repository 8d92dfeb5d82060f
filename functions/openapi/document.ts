/** The OpenAPI 3.1 description of the public HTTP API, so any language can generate a client. */

const error = { $ref: "#/components/responses/Error" };
/** The error response under each of these status codes. */
const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, error]));
const id = { name: "id", in: "path", required: true, schema: { type: "string" } };
const binary = { schema: { type: "string", format: "binary" } };
const npyBody = {
  required: true,
  description:
    "N x D float32/float64 features, or images: an .npy image array (uint8 0..255 or float 0..1; " +
    "N x H x W, NHWC or NCHW, ?layout= to disambiguate) or multipart/form-data with one PNG/JPEG per part",
  content: {
    "application/x-npy": binary,
    "application/octet-stream": binary,
    "multipart/form-data": {
      schema: { type: "object", additionalProperties: { type: "string", format: "binary" } },
    },
  },
};
const npzBody = (arrays: string) => ({
  required: true,
  description: `an .npz with ${arrays}`,
  content: { "application/zip": binary, "application/octet-stream": binary },
});
const idempotency = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  description:
    "Client-chosen; a retry with the same key and body replays the first answer, another body is a 409.",
  schema: { type: "string", maxLength: 255 },
};
const json = (schema: unknown) => ({ content: { "application/json": { schema } } });
const paging = [
  {
    name: "limit",
    in: "query",
    required: false,
    description: "rows per page (default 100)",
    schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
  },
  {
    name: "cursor",
    in: "query",
    required: false,
    description: "next_cursor of the previous page, as it came",
    schema: { type: "string" },
  },
];
/** A page of a list endpoint: its rows under `key`, and the cursor of the next page (null on the last). */
const page = (key: string, item: unknown) =>
  json({
    type: "object",
    required: [key, "next_cursor"],
    properties: { [key]: { type: "array", items: item }, next_cursor: { type: ["string", "null"] } },
  });

/** The document served at /v1/openapi.json. */
export const openapiDocument = {
  openapi: "3.1.0",
  info: {
    title: "fidstream",
    version: "1.0.0",
    description:
      "Streaming evaluation of generative models: upload feature batches, watch partial FID, finalize.",
  },
  paths: {
    "/v1/references": {
      post: {
        summary: "Register a reference from a stats .npz (mu, sigma) or an N x D features .npy",
        parameters: [
          { name: "name", in: "query", required: true, schema: { type: "string" } },
          {
            name: "features",
            in: "query",
            required: false,
            description:
              "feature space of the reference. A space this service extracts images in (mnist-lenet, " +
              "fid-inception, fid-inception:768, ...), or a declared space of embeddings computed elsewhere, " +
              "whose name fixes D and the distance's name: inception-2048 (D = 2048, FID), dinov2-vitl14 " +
              "(1024, FD_DINOv2), clip-vitl14-336 (768, FD_CLIP; finalize adds CMMD), custom:NAME (any D, FD). " +
              "A batch of another D is a 422 naming the space; images are refused in declared spaces",
            schema: { type: "string" },
          },
          {
            name: "n",
            in: "query",
            required: false,
            description:
              "stats .npz only: the number of samples behind mu and sigma (else n is null: unknown)",
            schema: { type: "integer", minimum: 2 },
          },
          idempotency,
        ],
        requestBody: {
          required: true,
          content: {
            ...npyBody.content,
            "application/zip": { schema: { type: "string", format: "binary" } },
          },
        },
        responses: {
          201: json({ $ref: "#/components/schemas/Reference" }),
          ...errors(400, 413, 415, 422),
        },
      },
      get: {
        summary: "List references, newest first, one page at a time",
        parameters: paging,
        responses: { 200: page("references", { $ref: "#/components/schemas/Reference" }), 400: error },
      },
    },
    "/v1/references/{id}": {
      get: {
        summary: "A reference, with the Vendi score of its samples (`vendi`; null for a stats .npz)",
        parameters: [id],
        responses: {
          200: json({
            allOf: [
              { $ref: "#/components/schemas/Reference" },
              { type: "object", properties: { vendi: { type: ["number", "null"] } } },
            ],
          }),
          404: error,
        },
      },
    },
    "/v1/references/{id}/batches": {
      post: {
        summary: "Append a features batch to a reference built from features",
        parameters: [id, idempotency],
        requestBody: npyBody,
        responses: {
          200: json({ $ref: "#/components/schemas/BatchReceipt" }),
          ...errors(400, 404, 409, 413, 415, 422),
        },
      },
    },
    "/v1/runs": {
      post: {
        summary: "Create a run against a reference",
        requestBody: {
          required: true,
          ...json({
            type: "object",
            required: ["name", "reference"],
            properties: {
              name: { type: "string" },
              reference: {
                type: "string",
                description: "the reference's id, or its name when unique in the project",
              },
              tags: { type: "array", items: { type: "string" } },
              config: {
                type: "object",
                description: "at most 64 KiB as JSON; JSON bodies nest at most 32 levels",
                properties: {
                  retain_features: { type: "boolean", default: true },
                  kid: {
                    oneOf: [{ type: "boolean" }, {
                      type: "object",
                      properties: {
                        subsets: { type: "integer" },
                        subset_size: { type: "integer" },
                        seed: { type: "integer" },
                      },
                    }],
                  },
                  prdc: {
                    oneOf: [{ type: "boolean" }, {
                      type: "object",
                      properties: {
                        k: { type: "integer" },
                        max_samples: { type: "integer" },
                        seed: { type: "integer" },
                      },
                    }],
                  },
                  cmmd: {
                    description: "CMMD at finalize, where the reference is in a CLIP space (clip-vitl14-336)",
                    oneOf: [{ type: "boolean" }, {
                      type: "object",
                      properties: {
                        max_samples: { type: "integer", maximum: 10000, default: 10000 },
                        seed: { type: "integer", default: 2020 },
                      },
                    }],
                  },
                  fid_infinity: {
                    type: "boolean",
                    default: true,
                    description: "FID-infinity after finalize (runs that keep features, n >= 150)",
                  },
                },
              },
            },
          }),
        },
        responses: { 201: json({ $ref: "#/components/schemas/Run" }), ...errors(400, 422) },
      },
      get: {
        summary: "List runs, newest first, one page at a time (configs only with include=config)",
        parameters: [
          ...paging,
          { name: "include", in: "query", required: false, schema: { type: "string", enum: ["config"] } },
        ],
        responses: { 200: page("runs", { $ref: "#/components/schemas/Run" }), 400: error },
      },
    },
    "/v1/runs/{id}": {
      get: {
        summary: "A run with its latest and final metrics",
        parameters: [id],
        responses: { 200: json({ $ref: "#/components/schemas/Run" }), 404: error },
      },
    },
    "/v1/runs/{id}/metrics": {
      get: {
        summary: "A run's metrics history",
        parameters: [id],
        responses: { 200: json({ type: "object" }), 404: error },
      },
    },
    "/v1/runs/{id}/batches": {
      post: {
        summary: "Upload a batch of generated-sample features (N x D float32/float64 .npy)",
        parameters: [id, idempotency],
        requestBody: npyBody,
        responses: {
          200: json({ $ref: "#/components/schemas/BatchReceipt" }),
          ...errors(400, 404, 409, 413, 415, 422),
        },
      },
    },
    "/v1/runs/{id}/reconstructions": {
      post: {
        summary:
          "Upload x and x_hat (same shape, floats in [0,1]): running recon_bce, recon_mse, recon_bce_sum",
        parameters: [id, idempotency],
        requestBody: npzBody("x and x_hat"),
        responses: { 200: json({ type: "object" }), ...errors(400, 404, 409, 422) },
      },
    },
    "/v1/runs/{id}/latents": {
      post: {
        summary:
          "Upload z_mean and z_log_var (N x latent_dim): running KL to N(0, I), per-dim KL, active_dims",
        parameters: [id, idempotency],
        requestBody: npzBody("z_mean and z_log_var"),
        responses: { 200: json({ type: "object" }), ...errors(400, 404, 409, 422) },
      },
    },
    "/v1/runs/{id}/models/{role}": {
      post: {
        summary:
          "Upload the run's VAE decoder or encoder as a TensorFlow.js model (LayersModel or GraphModel): its folder " +
          "zipped, or its files as multipart parts (+ optional `manifest` JSON part); replaces that role",
        parameters: [
          id,
          { name: "role", in: "path", required: true, schema: { enum: ["decoder", "encoder"] } },
          ...["latent_dim", "output_shape", "output_range", "input_shape", "input_range", "mean_output"].map((
            name,
          ) => ({
            name,
            in: "query",
            required: false,
            schema: { type: "string" },
          })),
        ],
        requestBody: {
          required: true,
          content: {
            "application/zip": binary,
            "multipart/form-data": {
              schema: { type: "object", additionalProperties: { type: "string", format: "binary" } },
            },
          },
        },
        responses: {
          201: json({ type: "object" }),
          ...errors(400, 404, 413, 415, 422),
        },
      },
    },
    "/v1/runs/{id}/models": {
      get: {
        summary: "The run's uploaded models (no bytes)",
        parameters: [id],
        responses: { 200: json({ type: "object" }), 404: error },
      },
    },
    "/v1/runs/{id}/grids": {
      post: {
        summary:
          "Draw a seeded PNG grid from the run's decoder and store it: samples, traversal, dimensions (JSON), or " +
          "interpolation (an .npz with x [2, H, W(, C)], parameters in the query; or multipart request + x or a, b). " +
          "The same request returns the same image (200).",
        parameters: [id],
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["kind"],
                properties: { kind: { enum: ["samples", "traversal", "interpolation", "dimensions"] } },
              },
            },
            "application/zip": binary,
            "multipart/form-data": { schema: { type: "object" } },
          },
        },
        responses: {
          200: json({ type: "object" }),
          201: json({ type: "object" }),
          ...errors(400, 404, 422),
        },
      },
    },
    "/v1/runs/{id}/images": {
      get: {
        summary:
          "The run's images, newest first: {images: [{id, url, caption, kind, width, height, params, created_at}]}",
        parameters: [id],
        responses: { 200: json({ type: "object" }), 404: error },
      },
    },
    "/v1/runs/{id}/images/{imageId}": {
      get: {
        summary: "One stored image",
        parameters: [id, { name: "imageId", in: "path", required: true, schema: { type: "string" } }],
        responses: { 200: { description: "PNG", content: { "image/png": binary } }, 404: error },
      },
    },
    "/v1/runs/{id}/generate": {
      post: {
        summary:
          "Decode n seeded prior samples with the run's decoder, extract them in the reference's feature space and " +
          "append them as the run's batches (a retry replays, never double counts)",
        parameters: [id],
        requestBody: {
          required: true,
          ...json({
            type: "object",
            required: ["n"],
            properties: {
              n: { type: "integer", minimum: 1, maximum: 100000 },
              seed: { type: "integer", minimum: 0 },
              chunk: { type: "integer", minimum: 1, maximum: 5000 },
              features: { type: "string" },
            },
          }),
        },
        responses: { 200: json({ type: "object" }), ...errors(400, 404, 409, 422) },
      },
    },
    "/v1/admin/keys": {
      post: {
        summary: "Create an API key of the caller's project (admin key)",
        requestBody: {
          required: true,
          ...json({ type: "object", properties: { scope: { enum: ["read", "write", "admin"] } } }),
        },
        responses: { 201: json({ type: "object" }), ...errors(400, 401, 403) },
      },
      get: {
        summary: "List the project's keys (no secrets)",
        responses: { 200: json({ type: "object" }), ...errors(401, 403) },
      },
    },
    "/v1/admin/keys/{keyId}": {
      delete: {
        summary: "Revoke a key of the project",
        parameters: [{ name: "keyId", in: "path", required: true, schema: { type: "string" } }],
        responses: { 200: json({ type: "object" }), 404: error },
      },
    },
    "/v1/runs/{id}/events": {
      get: {
        summary: "Server-Sent Events: `metrics` (partial), `progress` as each finalize phase begins " +
          "({phase, elapsed_s, done: [{phase, seconds}]}) and `final`; a late client first gets the latest state. " +
          'From D = 1024 on a partial FID goes out with `pending: ["vendi"]` and the same n follows with the ' +
          "Vendi score. " +
          "A `final` whose `pending` lists work (fid_infinity) is followed by another `final` carrying it; the " +
          "stream ends after the final with nothing pending",
        parameters: [id],
        responses: {
          200: {
            description: "text/event-stream",
            content: { "text/event-stream": { schema: { type: "string" } } },
          },
          404: error,
        },
      },
    },
    "/v1/runs/{id}/finalize": {
      post: {
        summary:
          "Finalize: no more batches; exact FID and Vendi (and KID, PRDC, the mean pairwise distance and, in a " +
          "CLIP space, CMMD when features are kept). Answers before FID-infinity, listed in `pending` until a later " +
          "`final` (GET run, events) adds it. Idempotent.",
        parameters: [id],
        responses: { 200: json({ $ref: "#/components/schemas/Metrics" }), 404: error },
      },
    },
  },
  security: [{ bearer: [] }],
  components: {
    securitySchemes: {
      bearer: {
        type: "http",
        scheme: "bearer",
        description:
          "an API key fsk_...; GET also accepts ?access_token=; not needed with FIDSTREAM_AUTH=off",
      },
    },
    responses: {
      Error: {
        description: "Error",
        ...json({
          type: "object",
          properties: {
            error: { type: "object", properties: { code: { type: "string" }, message: { type: "string" } } },
          },
        }),
      },
    },
    schemas: {
      Reference: {
        type: "object",
        properties: {
          id: { type: "string" },
          name: { type: "string" },
          dim: { type: "integer" },
          n: { type: ["integer", "null"], description: "null: a stats .npz uploaded without ?n= (unknown)" },
          source: { enum: ["stats", "features"] },
          features: { type: ["string", "null"], description: "its feature space's name, when it has one" },
          distance: {
            type: "string",
            description: "the Frechet distance's name in that space: FID, FD_DINOv2, FD_CLIP, FD",
          },
        },
      },
      BatchReceipt: {
        type: "object",
        properties: { batch: { type: "integer" }, n: { type: "integer" }, replayed: { type: "boolean" } },
      },
      Metrics: {
        type: "object",
        properties: {
          n: { type: "integer" },
          fid: { type: ["number", "null"] },
          vendi: {
            type: ["number", "null"],
            description:
              "Vendi score (Friedman & Dieng 2023; dgm-eval's linear kernel, q = 1) of the samples so far; " +
              "null when unknown (statistics folded before it was kept)",
          },
          kid: { type: "object", properties: { mean: { type: "number" }, std: { type: "number" } } },
          cmmd: {
            type: "number",
            description:
              "final only, CLIP spaces: CMMD (Jayasumana et al. 2024): 1000 x MMD^2, Gaussian kernel sigma 10, " +
              "every pair i = j included, on up to 10,000 rows a side",
          },
          fid_infinity: {
            type: ["object", "null"],
            description:
              "final only, after `pending`: FID-infinity (Chong & Forsyth 2020), the intercept of the least-squares " +
              "line FID = value + slope / N through FIDs of RandomState(0).permutation(N)[:N_k], N_k = " +
              "linspace(N // 10, N, 15); null (with fid_infinity_note) when it could not be computed",
            properties: {
              value: { type: "number" },
              slope: { type: "number" },
              points: {
                type: "array",
                items: { type: "array", prefixItems: [{ type: "integer" }, { type: "number" }] },
              },
            },
          },
          pending: {
            type: "array",
            items: { enum: ["fid_infinity", "vendi"] },
            description:
              "what follows in a later snapshot, which drops this list: fid_infinity after a final; " +
              "vendi after a partial FID at D >= 1024 (the same n, with its Vendi score; only that one is stored)",
          },
          reference: {
            type: "object",
            description: "final only: the reference's id, sample count and Vendi score",
            properties: {
              id: { type: "string" },
              n: { type: ["integer", "null"] },
              vendi: { type: "number" },
            },
          },
          at: { type: "string", format: "date-time" },
        },
      },
      Run: {
        type: "object",
        properties: {
          id: { type: "string" },
          name: { type: "string" },
          reference: { type: "string" },
          dim: { type: "integer" },
          tags: { type: "array", items: { type: "string" } },
          status: { enum: ["streaming", "finalizing", "finalized"] },
          n: { type: "integer" },
          latest: { $ref: "#/components/schemas/Metrics" },
          final: { $ref: "#/components/schemas/Metrics" },
        },
      },
    },
  },
};
