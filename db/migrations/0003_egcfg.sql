CREATE TABLE "egcfg_candidates" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"generation_id" bigint NOT NULL,
	"line_index" integer NOT NULL,
	"side" text NOT NULL,
	"request_index" integer NOT NULL,
	"candidate_index" integer NOT NULL,
	"completion" text NOT NULL,
	"raw" text,
	"executable" text,
	"prepare_error" text,
	"accepted" boolean,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "egcfg_generations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"campaign_id" text NOT NULL,
	"problem_id" bigint NOT NULL,
	"run_id" bigint NOT NULL,
	"agent" text NOT NULL,
	"gamma" double precision NOT NULL,
	"attempt" integer NOT NULL,
	"agent_index" integer NOT NULL,
	"gamma_index" integer NOT NULL,
	"config" jsonb NOT NULL,
	"seed" integer NOT NULL,
	"model" text NOT NULL,
	"simulated" boolean NOT NULL,
	"workflow_id" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"base_prompt" text NOT NULL,
	"prefix" text,
	"final_code" text,
	"sample_id" bigint,
	"stop_reason" text,
	"passed_visible" boolean,
	"visible_passed" integer,
	"visible_total" integer,
	"cost" jsonb,
	"stats" jsonb,
	"error" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "egcfg_steps" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"generation_id" bigint NOT NULL,
	"seq" integer NOT NULL,
	"kind" text NOT NULL,
	"line_index" integer NOT NULL,
	"code_before" text DEFAULT '' NOT NULL,
	"appended" text,
	"signal" text,
	"state" jsonb,
	"tokens" jsonb,
	"summary" jsonb NOT NULL,
	"token_count" integer DEFAULT 0 NOT NULL,
	"guided_tokens" integer DEFAULT 0 NOT NULL,
	"changed_tokens" integer DEFAULT 0 NOT NULL,
	"model_calls" integer DEFAULT 0 NOT NULL,
	"tokenizer_calls" integer DEFAULT 0 NOT NULL,
	"prompt_tokens" integer DEFAULT 0 NOT NULL,
	"completion_tokens" integer DEFAULT 0 NOT NULL,
	"sandbox_runs" integer DEFAULT 0 NOT NULL,
	"sandbox_ms" double precision DEFAULT 0 NOT NULL,
	"model_ms" double precision DEFAULT 0 NOT NULL,
	"duration_ms" double precision DEFAULT 0 NOT NULL,
	"activity_attempt" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "egcfg_traces" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"generation_id" bigint NOT NULL,
	"program_hash" text NOT NULL,
	"invocation" text NOT NULL,
	"line_index" integer NOT NULL,
	"program" text NOT NULL,
	"status" text NOT NULL,
	"trace" text,
	"trace_truncated" boolean DEFAULT false NOT NULL,
	"duration_ms" double precision NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "egcfg_candidates" ADD CONSTRAINT "egcfg_candidates_generation_id_egcfg_generations_id_fk" FOREIGN KEY ("generation_id") REFERENCES "public"."egcfg_generations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "egcfg_generations" ADD CONSTRAINT "egcfg_generations_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "egcfg_generations" ADD CONSTRAINT "egcfg_generations_problem_id_problems_id_fk" FOREIGN KEY ("problem_id") REFERENCES "public"."problems"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "egcfg_generations" ADD CONSTRAINT "egcfg_generations_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "egcfg_generations" ADD CONSTRAINT "egcfg_generations_sample_id_samples_id_fk" FOREIGN KEY ("sample_id") REFERENCES "public"."samples"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "egcfg_steps" ADD CONSTRAINT "egcfg_steps_generation_id_egcfg_generations_id_fk" FOREIGN KEY ("generation_id") REFERENCES "public"."egcfg_generations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "egcfg_traces" ADD CONSTRAINT "egcfg_traces_generation_id_egcfg_generations_id_fk" FOREIGN KEY ("generation_id") REFERENCES "public"."egcfg_generations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "egcfg_candidates_natural_key" ON "egcfg_candidates" USING btree ("generation_id","line_index","side","request_index","candidate_index");--> statement-breakpoint
CREATE UNIQUE INDEX "egcfg_generations_natural_key" ON "egcfg_generations" USING btree ("campaign_id","problem_id","agent","gamma","attempt");--> statement-breakpoint
CREATE INDEX "egcfg_generations_problem" ON "egcfg_generations" USING btree ("campaign_id","problem_id");--> statement-breakpoint
CREATE UNIQUE INDEX "egcfg_steps_natural_key" ON "egcfg_steps" USING btree ("generation_id","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "egcfg_traces_natural_key" ON "egcfg_traces" USING btree ("generation_id","program_hash","invocation");