CREATE TABLE "metric_leases" (
	"owner_id" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"pending" boolean DEFAULT false NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
