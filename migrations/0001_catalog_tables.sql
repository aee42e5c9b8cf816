CREATE TYPE "public"."api_key_role" AS ENUM('reader', 'writer', 'admin');--> statement-breakpoint
CREATE TYPE "public"."component_stage" AS ENUM('SEED_DATA', 'GENERATOR', 'SAMPLING', 'CONDITIONING', 'PROMPTING', 'EVOLUTION', 'AUGMENTATION', 'FILTERING', 'LABELING', 'SEARCH');--> statement-breakpoint
CREATE TYPE "public"."qdc_effect" AS ENUM('UP', 'DOWN', 'NONE', 'DEPENDS');--> statement-breakpoint
CREATE TYPE "public"."input_role" AS ENUM('SEED', 'SOURCE', 'REFERENCE', 'FILTERED_FROM', 'DEDUPLICATED_FROM', 'MERGED_FROM', 'OTHER');--> statement-breakpoint
CREATE TYPE "public"."version_status" AS ENUM('READY');--> statement-breakpoint
CREATE TABLE "algorithm_components" (
	"algorithm_id" integer NOT NULL,
	"position" integer NOT NULL,
	"component_id" integer NOT NULL,
	"config" jsonb,
	CONSTRAINT "algorithm_components_algorithm_id_position_pk" PRIMARY KEY("algorithm_id","position")
);
--> statement-breakpoint
CREATE TABLE "algorithms" (
	"id" serial PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"name" text NOT NULL,
	"paper_title" text,
	"arxiv_id" text,
	"year" smallint,
	"description" text DEFAULT '' NOT NULL,
	"builtin" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" serial PRIMARY KEY NOT NULL,
	"key_id" text NOT NULL,
	"salt" text NOT NULL,
	"hash" text NOT NULL,
	"role" "api_key_role" NOT NULL,
	"name" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_key_id_format" CHECK ("api_keys"."key_id" ~ '^[a-z0-9]{8,32}$')
);
--> statement-breakpoint
CREATE TABLE "components" (
	"id" serial PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"stage" "component_stage" NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"quality_effect" "qdc_effect" NOT NULL,
	"diversity_effect" "qdc_effect" NOT NULL,
	"complexity_effect" "qdc_effect" NOT NULL,
	"rationale" text DEFAULT '' NOT NULL,
	"citation" text,
	"builtin" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dataset_versions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"dataset_id" bigint NOT NULL,
	"version" integer NOT NULL,
	"content_hash" text NOT NULL,
	"sample_count" integer NOT NULL,
	"byte_size" bigint NOT NULL,
	"status" "version_status" DEFAULT 'READY' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "datasets" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"task" text,
	"domain" text,
	"license" text,
	"source_uri" text,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"card" jsonb,
	"next_version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "generation_runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"output_version_id" bigint NOT NULL,
	"algorithm_id" integer,
	"generator_model" text,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"notes" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "run_inputs" (
	"run_id" bigint NOT NULL,
	"input_version_id" bigint NOT NULL,
	"role" "input_role" NOT NULL,
	CONSTRAINT "run_inputs_run_id_input_version_id_role_pk" PRIMARY KEY("run_id","input_version_id","role")
);
--> statement-breakpoint
CREATE TABLE "samples" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"version_id" bigint NOT NULL,
	"ordinal" integer NOT NULL,
	"prompt" text,
	"response" text,
	"reference" text,
	"messages" jsonb,
	"metadata" jsonb,
	"content_hash" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "algorithm_components" ADD CONSTRAINT "algorithm_components_algorithm_id_algorithms_id_fk" FOREIGN KEY ("algorithm_id") REFERENCES "public"."algorithms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "algorithm_components" ADD CONSTRAINT "algorithm_components_component_id_components_id_fk" FOREIGN KEY ("component_id") REFERENCES "public"."components"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_versions" ADD CONSTRAINT "dataset_versions_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "generation_runs" ADD CONSTRAINT "generation_runs_output_version_id_dataset_versions_id_fk" FOREIGN KEY ("output_version_id") REFERENCES "public"."dataset_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "generation_runs" ADD CONSTRAINT "generation_runs_algorithm_id_algorithms_id_fk" FOREIGN KEY ("algorithm_id") REFERENCES "public"."algorithms"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_inputs" ADD CONSTRAINT "run_inputs_run_id_generation_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."generation_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_inputs" ADD CONSTRAINT "run_inputs_input_version_id_dataset_versions_id_fk" FOREIGN KEY ("input_version_id") REFERENCES "public"."dataset_versions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "samples" ADD CONSTRAINT "samples_version_id_dataset_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."dataset_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "algorithm_components_component_idx" ON "algorithm_components" USING btree ("component_id");--> statement-breakpoint
CREATE UNIQUE INDEX "algorithms_key_idx" ON "algorithms" USING btree ("key");--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_key_id_idx" ON "api_keys" USING btree ("key_id");--> statement-breakpoint
CREATE UNIQUE INDEX "components_key_idx" ON "components" USING btree ("key");--> statement-breakpoint
CREATE INDEX "components_stage_idx" ON "components" USING btree ("stage");--> statement-breakpoint
CREATE UNIQUE INDEX "dataset_versions_dataset_version_idx" ON "dataset_versions" USING btree ("dataset_id","version");--> statement-breakpoint
CREATE UNIQUE INDEX "dataset_versions_dataset_hash_idx" ON "dataset_versions" USING btree ("dataset_id","content_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "datasets_slug_idx" ON "datasets" USING btree ("slug");--> statement-breakpoint
CREATE INDEX "datasets_created_at_id_idx" ON "datasets" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "datasets_tags_idx" ON "datasets" USING gin ("tags");--> statement-breakpoint
CREATE UNIQUE INDEX "generation_runs_output_version_idx" ON "generation_runs" USING btree ("output_version_id");--> statement-breakpoint
CREATE INDEX "run_inputs_input_version_idx" ON "run_inputs" USING btree ("input_version_id");--> statement-breakpoint
CREATE UNIQUE INDEX "samples_version_ordinal_idx" ON "samples" USING btree ("version_id","ordinal");--> statement-breakpoint
CREATE INDEX "samples_version_hash_idx" ON "samples" USING btree ("version_id","content_hash");