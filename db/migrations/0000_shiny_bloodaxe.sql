CREATE TABLE "batches" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"owner_id" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"body_sha256" text NOT NULL,
	"n" integer NOT NULL,
	"dim" integer NOT NULL,
	"dtype" text DEFAULT 'float32' NOT NULL,
	"n_after" bigint NOT NULL,
	"features" "bytea",
	"folded" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "checkpoints" (
	"owner_id" text PRIMARY KEY NOT NULL,
	"version" integer NOT NULL,
	"n" bigint NOT NULL,
	"moments" "bytea" NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "metrics" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"n" bigint NOT NULL,
	"kind" text NOT NULL,
	"values" jsonb NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reference_factors" (
	"reference_id" text PRIMARY KEY NOT NULL,
	"n" bigint NOT NULL,
	"factor" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "references" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"dim" integer NOT NULL,
	"source" text NOT NULL,
	"n" bigint DEFAULT 0 NOT NULL,
	"mu" "bytea",
	"sigma" "bytea",
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"reference_id" text NOT NULL,
	"dim" integer NOT NULL,
	"tags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text DEFAULT 'streaming' NOT NULL,
	"n" bigint DEFAULT 0 NOT NULL,
	"retain_features" boolean DEFAULT true NOT NULL,
	"latest" jsonb,
	"final" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "metrics" ADD CONSTRAINT "metrics_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reference_factors" ADD CONSTRAINT "reference_factors_reference_id_references_id_fk" FOREIGN KEY ("reference_id") REFERENCES "public"."references"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_reference_id_references_id_fk" FOREIGN KEY ("reference_id") REFERENCES "public"."references"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "batches_owner_key" ON "batches" USING btree ("owner_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "batches_owner_unfolded" ON "batches" USING btree ("owner_id","folded");--> statement-breakpoint
CREATE INDEX "metrics_run" ON "metrics" USING btree ("run_id","seq");