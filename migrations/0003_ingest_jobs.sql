CREATE TABLE "ingest_jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"lab" text NOT NULL,
	"dataset" text NOT NULL,
	"version" text NOT NULL,
	"key_id" integer,
	"status" text NOT NULL,
	"replace" boolean NOT NULL,
	"dry_run" boolean NOT NULL,
	"progress" json,
	"result" json,
	"problems" json,
	"error" text,
	"work_dir" text,
	"created_at" timestamp NOT NULL,
	"started_at" timestamp,
	"finished_at" timestamp
);
