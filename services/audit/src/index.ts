// @assay/audit: the service definition, and what the tests, the local stack and the benchmark use.
export { auditService, auditTopology, DEFAULT_HTTP_PORT, SERVICE_NAME } from './service.ts';
export type { AuditApi } from './audit.ts';
export { auditConfig, type AuditShape } from './config.ts';
export { toEcs, vulnerabilityIds } from './ecs.ts';
export { AUDIT_MAPPINGS, indexTemplateBody, installEsResources, templatePattern } from './es-resources.ts';
export { deadLetterMsgId, expandAuditBatch, partIndex } from './batch-message.ts';
export { prepareAuditMessage } from './prepare.ts';
export { octetFrame, syslogMessage } from './syslog-destination.ts';
