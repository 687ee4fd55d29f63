export * from './alerts';
export * from './billing';
export * from './connectors';
export * from './policies';
export * from './rules';
export * from './scans';
export * from './tenancy';
export * from './transactions';
