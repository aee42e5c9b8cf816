CREATE TYPE "public"."projection_method" AS ENUM('PCA', 'UMAP');--> statement-breakpoint
CREATE TABLE "projection_chunks" (
	"projection_id" bigint NOT NULL,
	"chunk" integer NOT NULL,
	"count" integer NOT NULL,
	"ordinals" "bytea" NOT NULL,
	"xy" "bytea" NOT NULL,
	CONSTRAINT "projection_chunks_projection_id_chunk_pk" PRIMARY KEY("projection_id","chunk")
);
--> statement-breakpoint
CREATE TABLE "projections" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"version_id" bigint NOT NULL,
	"space_id" integer NOT NULL,
	"method" "projection_method" NOT NULL,
	"params" jsonb NOT NULL,
	"seed" integer,
	"library" text NOT NULL,
	"status" "metric_status" NOT NULL,
	"status_reason" text,
	"n" integer,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"job_id" bigint,
	"computed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "projection_chunks" ADD CONSTRAINT "projection_chunks_projection_id_projections_id_fk" FOREIGN KEY ("projection_id") REFERENCES "public"."projections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projections" ADD CONSTRAINT "projections_version_id_dataset_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."dataset_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projections" ADD CONSTRAINT "projections_space_id_embedding_spaces_id_fk" FOREIGN KEY ("space_id") REFERENCES "public"."embedding_spaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projections" ADD CONSTRAINT "projections_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "projections_version_idx" ON "projections" USING btree ("version_id","space_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "projections_job_idx" ON "projections" USING btree ("job_id");