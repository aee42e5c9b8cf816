CREATE TYPE "public"."embedder_provider" AS ENUM('TRANSFORMERS', 'LEXICAL');--> statement-breakpoint
CREATE TYPE "public"."overlap_kind" AS ENUM('EXACT', 'NEAR');--> statement-breakpoint
CREATE TABLE "dataset_embeddings" (
	"space_id" integer NOT NULL,
	"dataset_id" bigint NOT NULL,
	"text_hash" text NOT NULL,
	"embedding" vector NOT NULL,
	CONSTRAINT "dataset_embeddings_space_id_dataset_id_pk" PRIMARY KEY("space_id","dataset_id")
);
--> statement-breakpoint
CREATE TABLE "embedding_spaces" (
	"id" serial PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"provider" "embedder_provider" NOT NULL,
	"model" text NOT NULL,
	"revision" text NOT NULL,
	"dtype" text NOT NULL,
	"dims" integer NOT NULL,
	"pooling" text NOT NULL,
	"normalized" boolean DEFAULT true NOT NULL,
	"text_field" text DEFAULT 'prompt+response' NOT NULL,
	"indexed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "embedding_spaces_dims_range" CHECK ("embedding_spaces"."dims" between 1 and 16000)
);
--> statement-breakpoint
CREATE TABLE "overlap_runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"version_id" bigint NOT NULL,
	"against_version_id" bigint NOT NULL,
	"space_id" integer NOT NULL,
	"threshold" double precision NOT NULL,
	"neighbours" integer NOT NULL,
	"status" "metric_status" NOT NULL,
	"status_reason" text,
	"estimator" "estimator_kind",
	"matched_samples" integer,
	"sample_count" integer,
	"exact_pairs" integer,
	"near_pairs" integer,
	"job_id" bigint,
	"computed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "overlap_runs_threshold_range" CHECK ("overlap_runs"."threshold" > 0 and "overlap_runs"."threshold" <= 1)
);
--> statement-breakpoint
CREATE TABLE "sample_embeddings" (
	"space_id" integer NOT NULL,
	"sample_id" bigint NOT NULL,
	"version_id" bigint NOT NULL,
	"embedding" vector NOT NULL,
	CONSTRAINT "sample_embeddings_space_id_sample_id_pk" PRIMARY KEY("space_id","sample_id")
);
--> statement-breakpoint
CREATE TABLE "sample_overlaps" (
	"run_id" bigint NOT NULL,
	"sample_id" bigint NOT NULL,
	"matched_sample_id" bigint NOT NULL,
	"kind" "overlap_kind" NOT NULL,
	"similarity" double precision NOT NULL,
	CONSTRAINT "sample_overlaps_run_id_sample_id_matched_sample_id_pk" PRIMARY KEY("run_id","sample_id","matched_sample_id")
);
--> statement-breakpoint
ALTER TABLE "metric_results" ADD COLUMN "space_id" integer;--> statement-breakpoint
ALTER TABLE "dataset_embeddings" ADD CONSTRAINT "dataset_embeddings_space_id_embedding_spaces_id_fk" FOREIGN KEY ("space_id") REFERENCES "public"."embedding_spaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_embeddings" ADD CONSTRAINT "dataset_embeddings_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "overlap_runs" ADD CONSTRAINT "overlap_runs_version_id_dataset_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."dataset_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "overlap_runs" ADD CONSTRAINT "overlap_runs_against_version_id_dataset_versions_id_fk" FOREIGN KEY ("against_version_id") REFERENCES "public"."dataset_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "overlap_runs" ADD CONSTRAINT "overlap_runs_space_id_embedding_spaces_id_fk" FOREIGN KEY ("space_id") REFERENCES "public"."embedding_spaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "overlap_runs" ADD CONSTRAINT "overlap_runs_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sample_embeddings" ADD CONSTRAINT "sample_embeddings_space_id_embedding_spaces_id_fk" FOREIGN KEY ("space_id") REFERENCES "public"."embedding_spaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sample_embeddings" ADD CONSTRAINT "sample_embeddings_sample_id_samples_id_fk" FOREIGN KEY ("sample_id") REFERENCES "public"."samples"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sample_embeddings" ADD CONSTRAINT "sample_embeddings_version_id_dataset_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."dataset_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sample_overlaps" ADD CONSTRAINT "sample_overlaps_run_id_overlap_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."overlap_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sample_overlaps" ADD CONSTRAINT "sample_overlaps_sample_id_samples_id_fk" FOREIGN KEY ("sample_id") REFERENCES "public"."samples"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sample_overlaps" ADD CONSTRAINT "sample_overlaps_matched_sample_id_samples_id_fk" FOREIGN KEY ("matched_sample_id") REFERENCES "public"."samples"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "embedding_spaces_key_idx" ON "embedding_spaces" USING btree ("key");--> statement-breakpoint
CREATE INDEX "overlap_runs_version_idx" ON "overlap_runs" USING btree ("version_id","against_version_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "overlap_runs_job_idx" ON "overlap_runs" USING btree ("job_id");--> statement-breakpoint
CREATE INDEX "sample_embeddings_space_version_idx" ON "sample_embeddings" USING btree ("space_id","version_id");--> statement-breakpoint
CREATE INDEX "sample_embeddings_sample_idx" ON "sample_embeddings" USING btree ("sample_id");--> statement-breakpoint
CREATE INDEX "sample_overlaps_matched_idx" ON "sample_overlaps" USING btree ("matched_sample_id");--> statement-breakpoint
ALTER TABLE "metric_results" ADD CONSTRAINT "metric_results_space_id_embedding_spaces_id_fk" FOREIGN KEY ("space_id") REFERENCES "public"."embedding_spaces"("id") ON DELETE restrict ON UPDATE no action;