CREATE TABLE "ingest_outcomes" (
	"job_id" text PRIMARY KEY NOT NULL,
	"result" json NOT NULL,
	"committed_at" timestamp NOT NULL
);
