CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE TABLE "screening_entries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"list_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"entry_id" text NOT NULL,
	"name" text NOT NULL,
	"aliases" text[] NOT NULL,
	"type" text NOT NULL,
	"country" text,
	"program" text
);
--> statement-breakpoint
CREATE TABLE "screening_list_versions" (
	"org_id" uuid NOT NULL,
	"list_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"format" text NOT NULL,
	"file_name" text,
	"entries" integer NOT NULL,
	"names" integer NOT NULL,
	"uploaded_by" uuid,
	"uploaded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "screening_list_versions_list_id_version_pk" PRIMARY KEY("list_id","version")
);
--> statement-breakpoint
CREATE TABLE "screening_lists" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"name" text NOT NULL,
	"current_version" integer DEFAULT 1 NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "screening_name_keys" (
	"org_id" uuid NOT NULL,
	"list_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"name_id" uuid NOT NULL,
	"key" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "screening_names" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"list_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"entry_ref" uuid NOT NULL,
	"name" text NOT NULL,
	"normalized" text NOT NULL,
	"phonetic" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "screening_results" (
	"org_id" uuid NOT NULL,
	"list_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"subject_hash" text NOT NULL,
	"subject" text NOT NULL,
	"score" numeric(5, 4) NOT NULL,
	"best" jsonb,
	"screened_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "screening_results_list_id_version_subject_hash_pk" PRIMARY KEY("list_id","version","subject_hash")
);
--> statement-breakpoint
ALTER TABLE "screening_entries" ADD CONSTRAINT "screening_entries_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "screening_entries" ADD CONSTRAINT "screening_entries_list_id_screening_lists_id_fk" FOREIGN KEY ("list_id") REFERENCES "public"."screening_lists"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "screening_list_versions" ADD CONSTRAINT "screening_list_versions_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "screening_list_versions" ADD CONSTRAINT "screening_list_versions_list_id_screening_lists_id_fk" FOREIGN KEY ("list_id") REFERENCES "public"."screening_lists"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "screening_list_versions" ADD CONSTRAINT "screening_list_versions_uploaded_by_users_id_fk" FOREIGN KEY ("uploaded_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "screening_lists" ADD CONSTRAINT "screening_lists_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "screening_lists" ADD CONSTRAINT "screening_lists_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "screening_name_keys" ADD CONSTRAINT "screening_name_keys_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "screening_name_keys" ADD CONSTRAINT "screening_name_keys_list_id_screening_lists_id_fk" FOREIGN KEY ("list_id") REFERENCES "public"."screening_lists"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "screening_name_keys" ADD CONSTRAINT "screening_name_keys_name_id_screening_names_id_fk" FOREIGN KEY ("name_id") REFERENCES "public"."screening_names"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "screening_names" ADD CONSTRAINT "screening_names_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "screening_names" ADD CONSTRAINT "screening_names_list_id_screening_lists_id_fk" FOREIGN KEY ("list_id") REFERENCES "public"."screening_lists"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "screening_names" ADD CONSTRAINT "screening_names_entry_ref_screening_entries_id_fk" FOREIGN KEY ("entry_ref") REFERENCES "public"."screening_entries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "screening_results" ADD CONSTRAINT "screening_results_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "screening_results" ADD CONSTRAINT "screening_results_list_id_screening_lists_id_fk" FOREIGN KEY ("list_id") REFERENCES "public"."screening_lists"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "screening_entries_version_entry_idx" ON "screening_entries" USING btree ("list_id","version","entry_id");--> statement-breakpoint
CREATE INDEX "screening_entries_org_idx" ON "screening_entries" USING btree ("org_id");--> statement-breakpoint
CREATE INDEX "screening_lists_org_idx" ON "screening_lists" USING btree ("org_id","created_at");--> statement-breakpoint
CREATE INDEX "screening_name_keys_key_idx" ON "screening_name_keys" USING btree ("key","org_id","list_id","version","name_id");--> statement-breakpoint
CREATE INDEX "screening_name_keys_name_idx" ON "screening_name_keys" USING btree ("name_id");--> statement-breakpoint
CREATE INDEX "screening_names_entry_idx" ON "screening_names" USING btree ("entry_ref");--> statement-breakpoint
CREATE INDEX "screening_names_org_idx" ON "screening_names" USING btree ("org_id");--> statement-breakpoint
CREATE INDEX "screening_results_org_idx" ON "screening_results" USING btree ("org_id");