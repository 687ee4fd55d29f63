CREATE INDEX "cases_title_trgm_idx" ON "cases" USING gin ("title" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "cases_account_trgm_idx" ON "cases" USING gin ("account" gin_trgm_ops);