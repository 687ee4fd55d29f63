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
