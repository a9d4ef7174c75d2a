CREATE TABLE "campaign_problems" (
	"campaign_id" text NOT NULL,
	"problem_id" bigint NOT NULL,
	"task_id" text NOT NULL,
	"content_hash" text NOT NULL,
	"role" text DEFAULT 'eval' NOT NULL,
	"position" integer NOT NULL
);
--> statement-breakpoint
DROP INDEX "problems_dataset_task";--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "dataset_files" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "problems" ADD COLUMN "content_hash" text;--> statement-breakpoint
-- Rows from before versioning: a hash of their stored jsonb text, marked legacy (a new load of the same content is
-- hashed from its canonical JSON, core/datasets/pins.ts, and becomes a version of its own).
UPDATE "problems" SET "content_hash" = 'legacy:' || encode(sha256(convert_to("problem"::text, 'UTF8')), 'hex') WHERE "content_hash" IS NULL;--> statement-breakpoint
ALTER TABLE "problems" ALTER COLUMN "content_hash" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "campaign_problems" ADD CONSTRAINT "campaign_problems_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaign_problems" ADD CONSTRAINT "campaign_problems_problem_id_problems_id_fk" FOREIGN KEY ("problem_id") REFERENCES "public"."problems"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "campaign_problems_key" ON "campaign_problems" USING btree ("campaign_id","problem_id");--> statement-breakpoint
CREATE INDEX "campaign_problems_task" ON "campaign_problems" USING btree ("campaign_id","task_id");--> statement-breakpoint
CREATE UNIQUE INDEX "problems_content_hash" ON "problems" USING btree ("content_hash");--> statement-breakpoint
CREATE INDEX "problems_dataset_task_version" ON "problems" USING btree ("dataset","task_id");--> statement-breakpoint
-- Existing campaigns are pinned to the versions their results, samples and beams name (all they ran).
INSERT INTO "campaign_problems" ("campaign_id", "problem_id", "task_id", "content_hash", "role", "position")
SELECT r.campaign_id, r.problem_id, p.task_id, p.content_hash, r.role,
       (row_number() OVER (PARTITION BY r.campaign_id, r.role ORDER BY r.problem_id) - 1)::integer
FROM (
  SELECT DISTINCT ON (campaign_id, problem_id) campaign_id, problem_id, role FROM (
    SELECT campaign_id, problem_id, 'eval' AS role, 0 AS pri FROM "results"
    UNION ALL SELECT s.campaign_id, s.problem_id, CASE WHEN c.method = 'btp' THEN 'train' ELSE 'eval' END, 1
      FROM "samples" s JOIN "campaigns" c ON c.id = s.campaign_id
    UNION ALL SELECT campaign_id, problem_id, 'train', 2 FROM "beams"
  ) ran ORDER BY campaign_id, problem_id, pri
) r JOIN "problems" p ON p.id = r.problem_id
ON CONFLICT DO NOTHING;
