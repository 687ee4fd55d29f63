export * from './alerts';
export * from './billing';
export * from './policies';
export * from './rules';
export * from './scans';
export * from './screening';
export * from './tenancy';
export * from './transactions';
