CREATE TABLE "beams" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"campaign_id" text NOT NULL,
	"iteration" integer NOT NULL,
	"problem_id" bigint NOT NULL,
	"beam_index" integer NOT NULL,
	"candidate" text NOT NULL,
	"code_hash" text NOT NULL,
	"sample_id" bigint,
	"logprobs_ref" text,
	"token_count" integer,
	"possibility" double precision NOT NULL,
	"pass_rate" double precision,
	"tests_passed" integer,
	"tests_total" integer,
	"p2value" double precision,
	"model" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "beams_possibility_unit" CHECK ("beams"."possibility" >= 0 and "beams"."possibility" <= 1),
	CONSTRAINT "beams_pass_rate_unit" CHECK ("beams"."pass_rate" is null or ("beams"."pass_rate" >= 0 and "beams"."pass_rate" <= 1)),
	CONSTRAINT "beams_p2value_unit" CHECK ("beams"."p2value" is null or ("beams"."p2value" >= 0 and "beams"."p2value" <= 1))
);
--> statement-breakpoint
CREATE TABLE "btp_iterations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"campaign_id" text NOT NULL,
	"iteration" integer NOT NULL,
	"model" text NOT NULL,
	"training_run_id" bigint,
	"problems" integer NOT NULL,
	"passed" integer NOT NULL,
	"pass_at_1" double precision NOT NULL,
	"buffer_size" integer DEFAULT 0 NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "btp_iterations_pass_at_1_unit" CHECK ("btp_iterations"."pass_at_1" between 0 and 1)
);
--> statement-breakpoint
CREATE TABLE "buffer_entries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"campaign_id" text NOT NULL,
	"problem_id" bigint NOT NULL,
	"code" text NOT NULL,
	"code_hash" text NOT NULL,
	"possibility" double precision NOT NULL,
	"pass_rate" double precision NOT NULL,
	"p2value" double precision NOT NULL,
	"source_model" text NOT NULL,
	"iteration" integer NOT NULL,
	"seq" bigint NOT NULL,
	"beam_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "buffer_entries_unit" CHECK ("buffer_entries"."possibility" between 0 and 1 and "buffer_entries"."pass_rate" between 0 and 1 and "buffer_entries"."p2value" between 0 and 1)
);
--> statement-breakpoint
CREATE TABLE "training_runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"campaign_id" text NOT NULL,
	"iteration" integer NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"base_model" text NOT NULL,
	"config" jsonb NOT NULL,
	"output_dir" text NOT NULL,
	"adapter_path" text,
	"metrics" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"examples" integer DEFAULT 0 NOT NULL,
	"last_step" integer DEFAULT 0 NOT NULL,
	"last_loss" double precision,
	"error" text,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "training_runs_status" CHECK ("training_runs"."status" in ('pending', 'running', 'succeeded', 'failed', 'cancelled'))
);
--> statement-breakpoint
ALTER TABLE "beams" ADD CONSTRAINT "beams_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "beams" ADD CONSTRAINT "beams_problem_id_problems_id_fk" FOREIGN KEY ("problem_id") REFERENCES "public"."problems"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "beams" ADD CONSTRAINT "beams_sample_id_samples_id_fk" FOREIGN KEY ("sample_id") REFERENCES "public"."samples"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "btp_iterations" ADD CONSTRAINT "btp_iterations_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "btp_iterations" ADD CONSTRAINT "btp_iterations_training_run_id_training_runs_id_fk" FOREIGN KEY ("training_run_id") REFERENCES "public"."training_runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "buffer_entries" ADD CONSTRAINT "buffer_entries_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "buffer_entries" ADD CONSTRAINT "buffer_entries_problem_id_problems_id_fk" FOREIGN KEY ("problem_id") REFERENCES "public"."problems"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "buffer_entries" ADD CONSTRAINT "buffer_entries_beam_id_beams_id_fk" FOREIGN KEY ("beam_id") REFERENCES "public"."beams"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "training_runs" ADD CONSTRAINT "training_runs_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "beams_natural_key" ON "beams" USING btree ("campaign_id","iteration","problem_id","beam_index");--> statement-breakpoint
CREATE INDEX "beams_campaign_problem" ON "beams" USING btree ("campaign_id","problem_id");--> statement-breakpoint
CREATE UNIQUE INDEX "btp_iterations_campaign_iteration" ON "btp_iterations" USING btree ("campaign_id","iteration");--> statement-breakpoint
CREATE UNIQUE INDEX "buffer_entries_natural_key" ON "buffer_entries" USING btree ("campaign_id","problem_id","code_hash");--> statement-breakpoint
CREATE INDEX "buffer_entries_campaign_p2value" ON "buffer_entries" USING btree ("campaign_id","p2value");--> statement-breakpoint
CREATE UNIQUE INDEX "training_runs_campaign_iteration" ON "training_runs" USING btree ("campaign_id","iteration");