CREATE TABLE "lake_files" (
	"path" text PRIMARY KEY NOT NULL,
	"dataset_id" integer NOT NULL,
	"table_name" text NOT NULL,
	"rows" bigint NOT NULL,
	"bytes" bigint NOT NULL,
	"published_at" timestamp NOT NULL,
	"retired_at" timestamp
);
--> statement-breakpoint
ALTER TABLE "ingest_jobs" ADD COLUMN "owner" text;