export * from './tenancy';
export * from './policies';
export * from './rules';
export * from './transactions';
export * from './scans';
