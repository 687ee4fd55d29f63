/** A slice of one scan: the transactions with `firstId <= id <= lastId`, at most 10,000 of them. */
export type ScanChunkMessage = {
  kind: 'scan.chunk';
  orgId: string;
  scanId: string;
  chunk: number;
  firstId: number;
  lastId: number;
};

export type ScanQueueMessage = ScanChunkMessage;

/**
 * One attempt round of one alert delivery. `xid` is the Postgres transaction that raised it,
 * while that transaction may still be open (null when it had committed before the message was
 * sent): the consumer waits for it to end and sends nothing when it rolled back.
 */
export type AlertQueueMessage = {
  kind: 'alert.delivery';
  orgId: string;
  deliveryId: string;
  round: number;
  xid: string | null;
};

/** One run of a pull connector, already recorded as `queued`. */
export type ConnectorRunMessage = { kind: 'connector.run'; orgId: string; runId: string };

/** The generation of one report, already recorded as `queued`. */
export type ReportRunMessage = { kind: 'report.run'; orgId: string; reportId: string };
/** Train the organization's anomaly model recorded as `training` (worker/risk/training.ts). */
export type RiskTrainMessage = { kind: 'risk.train'; orgId: string; modelId: string };

/** Score the transactions `firstId <= id <= lastId` stored before the model, as part of its training run. */
export type RiskScoreMessage = {
  kind: 'risk.score';
  orgId: string;
  modelId: string;
  chunk: number;
  firstId: number;
  lastId: number;
};

export type RiskQueueMessage = RiskTrainMessage | RiskScoreMessage;
