CREATE TYPE "public"."judge_template_kind" AS ENUM('SCORE', 'PAIRWISE');--> statement-breakpoint
CREATE TABLE "judge_responses" (
	"key" text PRIMARY KEY NOT NULL,
	"endpoint" text NOT NULL,
	"model" text NOT NULL,
	"template_hash" text NOT NULL,
	"content_hash" text NOT NULL,
	"text" text,
	"reward" double precision,
	"finish_reason" text,
	"prompt_tokens" integer DEFAULT 0 NOT NULL,
	"completion_tokens" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "judge_secrets" (
	"name" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "judge_templates" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"version" integer NOT NULL,
	"kind" "judge_template_kind" NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"citation" text DEFAULT '' NOT NULL,
	"system" text DEFAULT '' NOT NULL,
	"user" text NOT NULL,
	"score_format" text NOT NULL,
	"labels" jsonb,
	"min_score" double precision NOT NULL,
	"max_score" double precision NOT NULL,
	"hash" text NOT NULL,
	"built_in" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "judge_responses_model_idx" ON "judge_responses" USING btree ("model","template_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "judge_templates_name_version_idx" ON "judge_templates" USING btree ("name","version");