ALTER TABLE "jobs" ADD COLUMN "created_by_api_key_id" integer;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_created_by_api_key_id_api_keys_id_fk" FOREIGN KEY ("created_by_api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "jobs_creator_status_idx" ON "jobs" USING btree ("created_by_api_key_id","status");