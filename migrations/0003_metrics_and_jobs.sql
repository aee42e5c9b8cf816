CREATE TYPE "public"."estimator_kind" AS ENUM('EXACT', 'SAMPLED', 'APPROXIMATE');--> statement-breakpoint
CREATE TYPE "public"."job_status" AS ENUM('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED');--> statement-breakpoint
CREATE TYPE "public"."metric_axis" AS ENUM('QUALITY', 'DIVERSITY', 'COMPLEXITY');--> statement-breakpoint
CREATE TYPE "public"."metric_direction" AS ENUM('HIGHER_IS_BETTER', 'LOWER_IS_BETTER', 'NEUTRAL');--> statement-breakpoint
CREATE TYPE "public"."metric_status" AS ENUM('PENDING', 'RUNNING', 'PARTIAL', 'COMPLETE', 'FAILED');--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"payload" jsonb NOT NULL,
	"status" "job_status" DEFAULT 'QUEUED' NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	"progress_done" bigint DEFAULT 0 NOT NULL,
	"progress_total" bigint,
	"attempts" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer DEFAULT 3 NOT NULL,
	"run_after" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"cancel_requested" boolean DEFAULT false NOT NULL,
	"error" text,
	"result" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"attempt_started_at" timestamp with time zone,
	"attempt_start_done" bigint DEFAULT 0 NOT NULL,
	"finished_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "jobs_attempts_nonnegative" CHECK ("jobs"."attempts" >= 0 and "jobs"."max_attempts" >= 1)
);
--> statement-breakpoint
CREATE TABLE "metric_definitions" (
	"id" serial PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"version" integer NOT NULL,
	"axis" "metric_axis" NOT NULL,
	"direction" "metric_direction" NOT NULL,
	"description" text NOT NULL,
	"citation" text DEFAULT '' NOT NULL,
	"params" jsonb NOT NULL,
	"sample_value" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "metric_results" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"version_id" bigint NOT NULL,
	"definition_id" integer,
	"scorer_id" integer,
	"params" jsonb NOT NULL,
	"params_hash" text NOT NULL,
	"status" "metric_status" NOT NULL,
	"status_reason" text,
	"value" double precision,
	"n" integer,
	"samples_done" integer DEFAULT 0 NOT NULL,
	"estimator" "estimator_kind",
	"seed" integer,
	"sample_size" integer,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"job_id" bigint,
	"computed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "metric_results_one_source" CHECK (("metric_results"."definition_id" is null) <> ("metric_results"."scorer_id" is null))
);
--> statement-breakpoint
CREATE TABLE "sample_scores" (
	"result_id" bigint NOT NULL,
	"sample_id" bigint NOT NULL,
	"value" double precision NOT NULL,
	"details" jsonb,
	CONSTRAINT "sample_scores_result_id_sample_id_pk" PRIMARY KEY("result_id","sample_id")
);
--> statement-breakpoint
CREATE TABLE "scorers" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"model" text DEFAULT '' NOT NULL,
	"version" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "metric_results" ADD CONSTRAINT "metric_results_version_id_dataset_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."dataset_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "metric_results" ADD CONSTRAINT "metric_results_definition_id_metric_definitions_id_fk" FOREIGN KEY ("definition_id") REFERENCES "public"."metric_definitions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "metric_results" ADD CONSTRAINT "metric_results_scorer_id_scorers_id_fk" FOREIGN KEY ("scorer_id") REFERENCES "public"."scorers"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "metric_results" ADD CONSTRAINT "metric_results_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sample_scores" ADD CONSTRAINT "sample_scores_result_id_metric_results_id_fk" FOREIGN KEY ("result_id") REFERENCES "public"."metric_results"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sample_scores" ADD CONSTRAINT "sample_scores_sample_id_samples_id_fk" FOREIGN KEY ("sample_id") REFERENCES "public"."samples"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "jobs_claimable_idx" ON "jobs" USING btree ("status","run_after");--> statement-breakpoint
CREATE INDEX "jobs_kind_created_idx" ON "jobs" USING btree ("kind","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "metric_definitions_key_version_idx" ON "metric_definitions" USING btree ("key","version");--> statement-breakpoint
CREATE INDEX "metric_results_version_idx" ON "metric_results" USING btree ("version_id","definition_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "metric_results_job_metric_idx" ON "metric_results" USING btree ("job_id","definition_id","params_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "metric_results_version_scorer_idx" ON "metric_results" USING btree ("version_id","scorer_id") WHERE "metric_results"."scorer_id" is not null;--> statement-breakpoint
CREATE INDEX "sample_scores_sample_idx" ON "sample_scores" USING btree ("sample_id");--> statement-breakpoint
CREATE UNIQUE INDEX "scorers_identity_idx" ON "scorers" USING btree ("name","model","version");