CREATE TABLE "run_images" (
	"id" text PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"kind" text NOT NULL,
	"caption" text NOT NULL,
	"params" jsonb NOT NULL,
	"request_key" text NOT NULL,
	"width" integer NOT NULL,
	"height" integer NOT NULL,
	"png" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "run_models" (
	"run_id" text NOT NULL,
	"role" text NOT NULL,
	"format" text NOT NULL,
	"model_json" text NOT NULL,
	"weights" "bytea" NOT NULL,
	"sha256" text NOT NULL,
	"info" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "references" ADD COLUMN "feature_space" text;--> statement-breakpoint
ALTER TABLE "run_images" ADD CONSTRAINT "run_images_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_models" ADD CONSTRAINT "run_models_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "run_images_run_request" ON "run_images" USING btree ("run_id","request_key");--> statement-breakpoint
CREATE INDEX "run_images_run_created" ON "run_images" USING btree ("run_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "run_models_run_role" ON "run_models" USING btree ("run_id","role");