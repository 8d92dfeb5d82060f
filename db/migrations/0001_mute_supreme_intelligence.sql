CREATE TABLE "sample_sums" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"kind" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"body_sha256" text NOT NULL,
	"n" integer NOT NULL,
	"n_after" bigint NOT NULL,
	"sums" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "latest_progress" bigint DEFAULT -1 NOT NULL;--> statement-breakpoint
ALTER TABLE "sample_sums" ADD CONSTRAINT "sample_sums_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "sample_sums_run_kind_key" ON "sample_sums" USING btree ("run_id","kind","idempotency_key");