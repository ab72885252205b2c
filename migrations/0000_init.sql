CREATE TABLE "checkpoint_values" (
	"run_id" integer NOT NULL,
	"stage_id" integer NOT NULL,
	"step" integer NOT NULL,
	"topic_id" integer NOT NULL,
	"prompts" integer NOT NULL,
	"v_support" double precision NOT NULL,
	"v_neutral" double precision NOT NULL,
	"v_oppose" double precision NOT NULL,
	"sd_support" double precision,
	"sd_neutral" double precision,
	"sd_oppose" double precision
);
--> statement-breakpoint
CREATE TABLE "datasets" (
	"id" integer PRIMARY KEY NOT NULL,
	"lab_id" integer NOT NULL,
	"name" text NOT NULL,
	"version" text NOT NULL,
	"description" text,
	"license" text,
	"prompt_set" text,
	"judge" text,
	"visibility" text NOT NULL,
	"content_hash" text NOT NULL,
	"ingested_at" timestamp NOT NULL,
	"observation_count" bigint NOT NULL,
	"manifest" json NOT NULL
);
--> statement-breakpoint
CREATE TABLE "labs" (
	"id" integer PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	CONSTRAINT "labs_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "meta" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "observations" (
	"run_id" integer NOT NULL,
	"stage_id" integer NOT NULL,
	"step" integer NOT NULL,
	"topic_id" integer NOT NULL,
	"prompt_id" integer NOT NULL,
	"generation" integer NOT NULL,
	"p_support" double precision NOT NULL,
	"p_neutral" double precision NOT NULL,
	"p_oppose" double precision NOT NULL
);
--> statement-breakpoint
CREATE TABLE "prompt_means" (
	"run_id" integer NOT NULL,
	"stage_id" integer NOT NULL,
	"step" integer NOT NULL,
	"topic_id" integer NOT NULL,
	"prompt_id" integer NOT NULL,
	"generations" integer NOT NULL,
	"m_support" double precision NOT NULL,
	"m_neutral" double precision NOT NULL,
	"m_oppose" double precision NOT NULL
);
--> statement-breakpoint
CREATE TABLE "prompts" (
	"id" integer PRIMARY KEY NOT NULL,
	"dataset_id" integer NOT NULL,
	"topic_id" integer NOT NULL,
	"key" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" integer PRIMARY KEY NOT NULL,
	"dataset_id" integer NOT NULL,
	"key" text NOT NULL,
	"model" text NOT NULL,
	"seed" integer,
	"metadata" json
);
--> statement-breakpoint
CREATE TABLE "stages" (
	"id" integer PRIMARY KEY NOT NULL,
	"run_id" integer NOT NULL,
	"ordinal" smallint NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"algorithm" text,
	"dataset" text,
	"total_steps" integer,
	"hyperparameters" json
);
--> statement-breakpoint
CREATE TABLE "topics" (
	"id" integer PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	CONSTRAINT "topics_name_unique" UNIQUE("name")
);
