CREATE TABLE "api_keys" (
	"id" integer PRIMARY KEY NOT NULL,
	"lab" text NOT NULL,
	"role" text NOT NULL,
	"name" text,
	"prefix" text NOT NULL,
	"hash" text NOT NULL,
	"created_at" timestamp NOT NULL,
	"revoked_at" timestamp,
	CONSTRAINT "api_keys_hash_unique" UNIQUE("hash")
);
