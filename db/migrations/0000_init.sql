CREATE TABLE "campaigns" (
	"id" text PRIMARY KEY NOT NULL,
	"method" text NOT NULL,
	"dataset" text NOT NULL,
	"model" text NOT NULL,
	"simulated" boolean NOT NULL,
	"status" text DEFAULT 'created' NOT NULL,
	"config" jsonb NOT NULL,
	"workflow_id" text,
	"error" text,
	"problems_total" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"campaign_id" text NOT NULL,
	"key" text NOT NULL,
	"kind" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "executions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"sample_id" bigint NOT NULL,
	"suite" text NOT NULL,
	"status" text NOT NULL,
	"passed" boolean NOT NULL,
	"tests_passed" integer NOT NULL,
	"tests_total" integer NOT NULL,
	"per_test" jsonb NOT NULL,
	"stdout" text DEFAULT '' NOT NULL,
	"stderr" text DEFAULT '' NOT NULL,
	"duration_ms" double precision NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "problems" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"dataset" text NOT NULL,
	"task_id" text NOT NULL,
	"split" text NOT NULL,
	"entry_point" text,
	"statement" text NOT NULL,
	"visible_tests" jsonb NOT NULL,
	"problem" jsonb NOT NULL,
	"raw" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "results" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"campaign_id" text NOT NULL,
	"problem_id" bigint NOT NULL,
	"protocol" text DEFAULT 'default' NOT NULL,
	"passed" boolean NOT NULL,
	"sample_id" bigint,
	"status" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"campaign_id" text NOT NULL,
	"name" text NOT NULL,
	"config" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "samples" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"campaign_id" text NOT NULL,
	"run_id" bigint NOT NULL,
	"problem_id" bigint NOT NULL,
	"attempt" text NOT NULL,
	"code" text NOT NULL,
	"raw_completion" text,
	"model" text NOT NULL,
	"params" jsonb NOT NULL,
	"token_logprobs" jsonb,
	"prompt_tokens" integer DEFAULT 0 NOT NULL,
	"completion_tokens" integer DEFAULT 0 NOT NULL,
	"model_calls" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "summaries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"campaign_id" text NOT NULL,
	"dataset" text NOT NULL,
	"protocol" text DEFAULT 'default' NOT NULL,
	"problems" integer NOT NULL,
	"passed" integer NOT NULL,
	"pass_at_1" double precision NOT NULL,
	"baseline_campaign_id" text,
	"rsr" double precision,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "executions" ADD CONSTRAINT "executions_sample_id_samples_id_fk" FOREIGN KEY ("sample_id") REFERENCES "public"."samples"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "results" ADD CONSTRAINT "results_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "results" ADD CONSTRAINT "results_problem_id_problems_id_fk" FOREIGN KEY ("problem_id") REFERENCES "public"."problems"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "results" ADD CONSTRAINT "results_sample_id_samples_id_fk" FOREIGN KEY ("sample_id") REFERENCES "public"."samples"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "samples" ADD CONSTRAINT "samples_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "samples" ADD CONSTRAINT "samples_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "samples" ADD CONSTRAINT "samples_problem_id_problems_id_fk" FOREIGN KEY ("problem_id") REFERENCES "public"."problems"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "summaries" ADD CONSTRAINT "summaries_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "events_campaign_key" ON "events" USING btree ("campaign_id","key");--> statement-breakpoint
CREATE UNIQUE INDEX "executions_sample_suite" ON "executions" USING btree ("sample_id","suite");--> statement-breakpoint
CREATE UNIQUE INDEX "problems_dataset_task" ON "problems" USING btree ("dataset","task_id");--> statement-breakpoint
CREATE UNIQUE INDEX "results_natural_key" ON "results" USING btree ("campaign_id","problem_id","protocol");--> statement-breakpoint
CREATE UNIQUE INDEX "runs_campaign_name" ON "runs" USING btree ("campaign_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "samples_natural_key" ON "samples" USING btree ("campaign_id","run_id","problem_id","attempt");--> statement-breakpoint
CREATE INDEX "samples_problem" ON "samples" USING btree ("problem_id");--> statement-breakpoint
CREATE UNIQUE INDEX "summaries_natural_key" ON "summaries" USING btree ("campaign_id","dataset","protocol");