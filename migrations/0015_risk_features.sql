ALTER TABLE "transactions" ADD COLUMN "anomaly_features" double precision[];--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "anomaly_model_id" uuid;